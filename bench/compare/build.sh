#!/usr/bin/env bash
# Builds every program in bench/compare (Go, C, .NET async, Kestrel, GeventSharp, the report tool).
# The Python programs need no build (Debian python3-gevent, run with /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")"

(cd go && go vet ./... && go build -o bin/ ./...)
make -C c
dotnet build dotnet/AsyncBaseline/AsyncBaseline.csproj -c Release --nologo -v q
dotnet build dotnet/Kestrel/Kestrel.csproj -c Release --nologo -v q
dotnet build GeventSharpMicro/GeventSharpMicro.csproj -c Release --nologo -v q
# Native AOT variants of the two .NET micro programs (extra rows; run.sh --no-aot skips them).
for proj in GeventSharpMicro/GeventSharpMicro.csproj dotnet/AsyncBaseline/AsyncBaseline.csproj; do
    dotnet publish "$proj" -c Release --use-current-runtime -p:Variant=aot -o "$(dirname "$proj")/bin/aot" --nologo -v q \
        || echo "Native AOT publish failed: $proj (needs clang and zlib1g-dev); run.sh skips its -aot rows" >&2
done
if [ -f geventsharp-http/GeventSharpHttp.csproj ]; then
    dotnet build geventsharp-http/GeventSharpHttp.csproj -c Release --nologo -v q
fi
dotnet build Report/Report.csproj -c Release --nologo -v q
echo "built: go/bin/{micro,echo,httpserver,loadgen} c/echo_epoll c/http_epoll dotnet/AsyncBaseline/bin/Release/net10.0/AsyncBaseline" \
     "dotnet/Kestrel/bin/Release/net10.0/Kestrel" \
     "GeventSharpMicro/bin/Release/net10.0/GeventSharpMicro Report/bin/Release/net10.0/Report" \
     "GeventSharpMicro/bin/aot/GeventSharpMicro dotnet/AsyncBaseline/bin/aot/AsyncBaseline"
