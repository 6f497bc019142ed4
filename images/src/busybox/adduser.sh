#!/bin/sh
# adduser as BusyBox's applet behaves (the host's static busybox this image was made from was
# built without it): `adduser [-h DIR] [-g GECOS] [-s SHELL] [-G GROUP] [-S] [-D] [-H] [-u UID]
# [-k SKEL] USER [GROUP]`. Without -G the user gets a group of its own name; with two names an
# existing user joins an existing group.
set -e
usage() {
    echo "Usage: adduser [-h DIR] [-g GECOS] [-s SHELL] [-G GRP] [-S] [-D] [-H] [-u UID] [-k SKEL] USER [GROUP]" >&2
    exit 1
}
free_id() { # first id from $2 to $3 unused in file $1
    i=$2
    while [ "$i" -le "$3" ]; do
        cut -d: -f3 "$1" | grep -qx "$i" || { echo "$i"; return 0; }
        i=$((i + 1))
    done
    echo "adduser: no free id" >&2; exit 1
}
home= gecos="Linux User,,," shell=/bin/sh group= system= nohome= uid=
while getopts h:g:s:G:SDHu:k: o; do
    case $o in
    h) home=$OPTARG ;; g) gecos=$OPTARG ;; s) shell=$OPTARG ;; G) group=$OPTARG ;;
    S) system=1 ;; D) ;; H) nohome=1 ;; u) uid=$OPTARG ;; k) ;; *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] && [ $# -le 2 ] || usage
user=$1
if grep -q "^$user:" /etc/passwd; then
    [ $# -eq 2 ] && exec addgroup "$user" "$2"
    echo "adduser: user '$user' in use" >&2; exit 1
fi
case $user in '' | -* | *[!A-Za-z0-9._-]*) echo "adduser: invalid user name '$user'" >&2; exit 1 ;; esac
if [ -z "$uid" ]; then
    if [ -n "$system" ]; then uid=$(free_id /etc/passwd 100 999); else uid=$(free_id /etc/passwd 1000 64999); fi
elif cut -d: -f3 /etc/passwd | grep -qx "$uid"; then
    echo "adduser: uid '$uid' in use" >&2; exit 1
fi
if [ -n "$group" ]; then
    gid=$(grep "^$group:" /etc/group | cut -d: -f3)
    [ -n "$gid" ] || { echo "adduser: unknown group $group" >&2; exit 1; }
elif grep -q "^$user:" /etc/group; then
    gid=$(grep "^$user:" /etc/group | cut -d: -f3)
else
    gid=$uid
    if cut -d: -f3 /etc/group | grep -qx "$gid"; then gid=$(free_id /etc/group 1000 64999); fi
    echo "$user:x:$gid:" >>/etc/group
fi
home=${home:-/home/$user}
echo "$user:x:$uid:$gid:$gecos:$home:$shell" >>/etc/passwd
if [ -z "$nohome" ] && [ ! -e "$home" ]; then
    mkdir -p "$home"
    chown "$uid:$gid" "$home"
fi
