#!/bin/sh
# addgroup as BusyBox's applet behaves (the host's static busybox this image was made from was
# built without it): `addgroup [-g GID] [-S] GROUP` makes a group; `addgroup USER GROUP` adds an
# existing user to an existing group.
set -e
usage() { echo "Usage: addgroup [-g GID] [-S] [USER] GROUP" >&2; exit 1; }
valid() { case $1 in '' | -* | *[!A-Za-z0-9._-]*) echo "addgroup: invalid name '$1'" >&2; exit 1 ;; esac; }
free_id() { # first id from $1 to $2 that /etc/group does not use
    i=$1
    while [ "$i" -le "$2" ]; do
        cut -d: -f3 /etc/group | grep -qx "$i" || { echo "$i"; return 0; }
        i=$((i + 1))
    done
    echo "addgroup: no free group id" >&2; exit 1
}
gid= system=
while getopts g:S o; do
    case $o in g) gid=$OPTARG ;; S) system=1 ;; *) usage ;; esac
done
shift $((OPTIND - 1))
case $# in
2)
    user=$1 group=$2
    grep -q "^$user:" /etc/passwd || { echo "addgroup: unknown user $user" >&2; exit 1; }
    line=$(grep "^$group:" /etc/group) || { echo "addgroup: unknown group $group" >&2; exit 1; }
    members=${line##*:}
    case ",$members," in *",$user,"*) exit 0 ;; esac
    if [ -z "$members" ]; then line="$line$user"; else line="$line,$user"; fi
    sed -i "s/^$group:.*/$line/" /etc/group
    ;;
1)
    group=$1
    valid "$group"
    if grep -q "^$group:" /etc/group; then echo "addgroup: group '$group' in use" >&2; exit 1; fi
    if [ -z "$gid" ]; then
        if [ -n "$system" ]; then gid=$(free_id 100 999); else gid=$(free_id 1000 64999); fi
    elif cut -d: -f3 /etc/group | grep -qx "$gid"; then
        echo "addgroup: gid '$gid' in use" >&2; exit 1
    fi
    echo "$group:x:$gid:" >>/etc/group
    ;;
*) usage ;;
esac
