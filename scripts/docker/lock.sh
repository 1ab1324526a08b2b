#!/usr/bin/env bash
# Writes requirements.lock, the exact packages the Docker image installs (with --no-deps): facerec's
# dependencies resolved by pip in a fresh Python 3.11 venv, frozen. One swap: insightface asks for
# opencv-python, whose wheel needs libGL (Mesa and LLVM in the image); opencv-python-headless is the same
# cv2 module at the same version without the GUI parts, and neither facerec nor insightface use them.
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PYTHON:-python3.11}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet .
{
    echo "# Written by scripts/docker/lock.sh from pyproject.toml ($("$python" --version), $(uname -m)); the Dockerfile"
    echo "# installs exactly these with --no-deps. Regenerate it after changing the dependencies."
    "$work/venv/bin/pip" freeze --exclude facerec | sed 's/^opencv-python==/opencv-python-headless==/'
} >requirements.lock
grep -q '^opencv-python-headless==' requirements.lock
echo "lock: wrote requirements.lock ($(grep -vc '^#' requirements.lock) packages)"
