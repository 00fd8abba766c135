#!/bin/sh
# Entrypoint of appstack/redis, compatible with the official redis image's
# docker-entrypoint.sh.
set -e

# first arg is `-f` or `--some-option`
# or first arg is `something.conf`
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

# The official image compiles redis with protected-mode defaulting to "no"
# (a container is reached through Docker's network, never via loopback).
# Debian's build keeps the upstream default "yes", so apply the official
# default here, unless the command line or the given config file sets it.
if [ "$1" = 'redis-server' ]; then
	want_default=yes
	for arg in "$@"; do
		case "$arg" in
			--protected-mode) want_default=no ;;
		esac
	done
	if [ "$want_default" = yes ] && [ "$#" -ge 2 ] && [ "${2#-}" = "$2" ] && [ -r "$2" ] \
		&& grep -qiE '^[[:space:]]*protected-mode[[:space:]]' "$2"; then
		want_default=no
	fi
	if [ "$want_default" = yes ]; then
		set -- "$@" --protected-mode no
	fi
fi

# allow the container to be started with `--user`
if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
	find . \! -user redis -exec chown redis '{}' +
	exec gosu redis "$0" "$@"
fi

# set an appropriate umask (if one isn't set already)
um="$(umask)"
if [ "$um" = '0022' ]; then
	umask 0077
fi

exec "$@"
