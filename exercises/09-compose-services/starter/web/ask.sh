#!/bin/sh
# Read by the pages in cgi-bin/: `ask PATH` asks the api at $API_URL for PATH and prints its
# answer, or says what went wrong (with the status 502 Bad Gateway).
fail() {
    printf 'Status: 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\n'
    echo "$1"
}
ask() {
    if [ -z "$API_URL" ]; then
        fail "web: API_URL is not set, so web does not know where the api is"
        return
    fi
    if [ "$HTTP_USER_AGENT" = "notes-web" ]; then
        fail "web: this request came from web itself: API_URL ($API_URL) leads back to web, not to the api"
        return
    fi
    url="${API_URL%/}$1"
    if answer=$(wget -q -U notes-web -O- "$url" 2>&1); then
        printf 'Content-Type: text/plain\r\n\r\n'
        echo "web asked $url"
        echo "$answer"
    else
        fail "web could not reach the api at $url: $answer"
    fi
}
