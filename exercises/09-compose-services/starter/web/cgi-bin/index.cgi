#!/bin/sh
# GET / : the notes, as the api lists them.
. /usr/lib/notes/ask.sh
ask /cgi-bin/notes
