#!/usr/bin/env bash
# Memory per idle connection (issue 12): builds the GeventSharp and Kestrel bench servers and this
# client, raises the descriptor limit (server and client each hold N sockets) and runs
# Program.cs, which prints a Markdown table (docs/http.md, docs/benchmarks.md).
#
#   bench/idle-connections/run.sh [--connections 10000] [--servers geventsharp,kestrel] [--kinds http,ws]
#                                 [--gen0-max-budget BYTES] [--gcdump PREFIX]
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n "$(ulimit -Hn)"
dotnet build bench/compare/dotnet/Kestrel/Kestrel.csproj -c Release --nologo -v q
dotnet build bench/compare/geventsharp-http/GeventSharpHttp.csproj -c Release --nologo -v q
dotnet build bench/idle-connections/IdleConnections.csproj -c Release --nologo -v q
dotnet bench/idle-connections/bin/Release/net10.0/IdleConnections.dll "$@"
