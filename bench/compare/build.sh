#!/usr/bin/env bash
# Builds every reference program in bench/compare (Go, C, .NET).
# The Python programs need no build (Debian python3-gevent, run with /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")"

(cd go && go vet ./... && go build -o bin/ ./...)
make -C c
dotnet build dotnet/AsyncBaseline/AsyncBaseline.csproj -c Release --nologo -v q
echo "built: go/bin/{micro,echo,loadgen} c/echo_epoll dotnet/AsyncBaseline/bin/Release/net10.0/AsyncBaseline"
