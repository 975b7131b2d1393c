#!/usr/bin/env bash
# Runs once inside the new conda environment (Snakemake's post-deploy hook): install this
# workflow's package without touching the dependencies the environment file already pinned.
# DATAPROPHET_SRC is set by the Snakefile to the workflow folder.
set -euo pipefail
python -m pip install --no-deps -e "${DATAPROPHET_SRC:?run through snakemake, which sets DATAPROPHET_SRC}"
