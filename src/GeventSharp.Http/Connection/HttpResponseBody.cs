namespace GeventSharp.Http;

/// <summary>A response body: write-only; writes go through <see cref="HttpResponse.WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.</summary>
internal sealed class HttpResponseBody : Stream
{
    private readonly HttpResponse _response;

    public HttpResponseBody(HttpResponse response) => _response = response;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException("A response body has no length while it is written.");

    public override long Position
    {
        get => throw new NotSupportedException("A response body cannot seek.");
        set => throw new NotSupportedException("A response body cannot seek.");
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        => _response.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => _response.FlushAsync(cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
        => throw new NotSupportedException("Write the body with WriteAsync: a synchronous write would block the hub.");

    public override void Flush()
    {
        // Nothing to do synchronously: buffered bytes go out at the next WriteAsync/FlushAsync or when the handler returns.
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("A response body is write-only.");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A response body cannot seek.");

    public override void SetLength(long value) => throw new NotSupportedException("Set HttpResponse.ContentLength instead.");
}
