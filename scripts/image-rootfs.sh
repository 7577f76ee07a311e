#!/bin/sh
# Used by operator/Dockerfile and hooks/Dockerfile in a build stage: assembles the root filesystem of a final stage
# FROM scratch that holds the programs named and the shared libraries they load (as ldd lists them), and nothing
# else: no shell, no package manager. Usage: image-rootfs.sh ROOT PROGRAM...
# Paths are kept canonical: Debian bookworm is merged-/usr (/bin, /lib, /lib64 and /sbin are links into /usr),
# and so is the copy. Also writes /etc/passwd and /etc/group (root, node = 1000, nobody) and a /tmp of mode 1777.
set -eu
root=$1
shift

mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" "$root/etc" "$root/tmp"
chmod 1777 "$root/tmp"
for d in bin sbin lib lib64; do
  if [ -L "/$d" ] && [ ! -e "$root/$d" ]; then ln -s "$(readlink "/$d")" "$root/$d"; mkdir -p "$root/usr/$d"; fi
done

# Copies one path, and for a symbolic link the link and then what it points to, until a file.
copy() {
  p=$1
  while :; do
    dir=$(cd "$(dirname "$p")" && pwd -P)
    real="$dir/$(basename "$p")"
    mkdir -p "$root$dir"
    if [ -L "$real" ]; then
      [ -L "$root$real" ] || cp -P "$real" "$root$real"
      target=$(readlink "$real")
      case $target in /*) p=$target ;; *) p="$dir/$target" ;; esac
    else
      [ -e "$root$real" ] || cp -p "$real" "$root$real"
      return 0
    fi
  done
}

for program in "$@"; do
  [ -x "$program" ] || { echo "image-rootfs.sh: $program is not an executable file" >&2; exit 1; }
  copy "$program"
  # "not a dynamic executable" (a static Go program) lists nothing.
  for lib in $(ldd "$program" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    copy "$lib"
  done
done

cat > "$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
node:x:1000:1000:node:/tmp:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat > "$root/etc/group" <<'EOF'
root:x:0:
node:x:1000:
nogroup:x:65534:
EOF
[ ! -f /etc/nsswitch.conf ] || cp /etc/nsswitch.conf "$root/etc/nsswitch.conf"
