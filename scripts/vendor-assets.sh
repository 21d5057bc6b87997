#!/usr/bin/env bash
# Refresh the vendored front-end assets from the npm registry (`make assets`).
# Running Follicle never needs node: the built files are committed under follicle/static/vendor/.
# Versions are pinned here; bump one, run `make assets`, look at the pages, commit.
set -euo pipefail
BOOTSTRAP=5.3.9
ICONS=1.13.2
HTMX=2.0.11
NOTO=5.3.0
AXE=4.14.1

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/follicle/static/vendor"
testdest="$root/tests/browser/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

fetch() {  # fetch NAME VERSION -> unpacked folder
  local name=$1 version=$2 dir
  dir="$work/$(echo "$name" | tr '/@' '__')"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "$name@$version" >/dev/null && tar xzf ./*.tgz)
  echo "$dir/package"
}

rm -rf "$dest" && mkdir -p "$dest"/{bootstrap,bootstrap-icons/fonts,htmx,noto-sans/files}

b=$(fetch bootstrap $BOOTSTRAP)
cp "$b/dist/css/bootstrap.min.css" "$b/dist/css/bootstrap.min.css.map" "$dest/bootstrap/"
cp "$b/dist/js/bootstrap.bundle.min.js" "$b/dist/js/bootstrap.bundle.min.js.map" "$dest/bootstrap/"
cp "$b/LICENSE" "$dest/bootstrap/LICENSE"

i=$(fetch bootstrap-icons $ICONS)
cp "$i/font/bootstrap-icons.min.css" "$dest/bootstrap-icons/"
cp "$i/font/fonts/bootstrap-icons.woff2" "$i/font/fonts/bootstrap-icons.woff" "$dest/bootstrap-icons/fonts/"
cp "$i/LICENSE" "$dest/bootstrap-icons/LICENSE"

h=$(fetch htmx.org $HTMX)
cp "$h/dist/htmx.min.js" "$dest/htmx/"
cp "$h/LICENSE" "$dest/htmx/LICENSE"

n=$(fetch @fontsource/noto-sans $NOTO)
for subset in latin latin-ext greek; do
  for weight in 400 600 700; do
    cp "$n/files/noto-sans-$subset-$weight-normal.woff2" "$dest/noto-sans/files/"
  done
done
cp "$n/LICENSE" "$dest/noto-sans/LICENSE"
# A small stylesheet with only the subsets and weights we ship (the package's index.css lists more).
python3 - "$n" "$dest/noto-sans/noto-sans.css" <<'PY'
import re, sys
src, out = sys.argv[1], sys.argv[2]
blocks = []
for weight in (400, 600, 700):
    css = open(f"{src}/{weight}.css", encoding="utf-8").read()
    for block in re.findall(r"/\*[^*]*\*/\s*@font-face\s*{[^}]*}", css):
        if re.search(r"noto-sans-(latin|latin-ext|greek)-\d+-normal", block):
            block = re.sub(r"url\(\./files/([^)]+)\.woff2\) format\('woff2'\),\s*url\(\./files/[^)]+\.woff\) format\('woff'\)",
                           r"url(files/\1.woff2) format('woff2')", block)
            blocks.append(block)
open(out, "w", encoding="utf-8").write("\n".join(blocks) + "\n")
PY

a=$(fetch axe-core $AXE)
mkdir -p "$testdest"
cp "$a/axe.min.js" "$testdest/axe.min.js"
cp "$a/LICENSE" "$testdest/axe-core.LICENSE"

cat > "$dest/VERSIONS.md" <<MD
# Vendored front-end assets
Built files copied from the npm registry by \`make assets\` (scripts/vendor-assets.sh).
Served by Follicle itself; nothing is loaded from a CDN.

| package | version | licence |
|---|---|---|
| bootstrap | $BOOTSTRAP | MIT |
| bootstrap-icons | $ICONS | MIT |
| htmx.org | $HTMX | 0BSD |
| @fontsource/noto-sans (latin, latin-ext, greek; 400/600/700) | $NOTO | OFL-1.1 |
| axe-core (tests only, tests/browser/vendor) | $AXE | MPL-2.0 |
MD
echo "vendored into $dest"
