#!/bin/sh
# Same as the official image's entrypoint, minus the deprecated
# MINIO_USERNAME/MINIO_GROUPNAME user switch (this image already runs as
# uid 1000): a command that starts with an option gets "minio" prepended.
if [ "${1}" != "minio" ]; then
	if [ -n "${1}" ]; then
		set -- minio "$@"
	fi
fi
exec "$@"
