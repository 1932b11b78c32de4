using System.Buffers;

namespace GeventSharp.Http;

/// <summary>
/// One spare input buffer and one spare response buffer per server, in front of
/// <see cref="ArrayPool{T}.Shared"/>: a connection that goes idle leaves its buffers here, and the
/// next one to get a request takes them back with two field writes instead of four pool calls.
/// </summary>
/// <remarks>All of a server's connections run on its hub's thread, so no lock is needed. At most
/// one buffer of each kind waits here; any other goes back to the shared pool.</remarks>
internal sealed class SpareBuffers
{
    private byte[]? _input;
    private byte[]? _output;

    /// <summary>How many spares are held (0 to 2); a test seam.</summary>
    public int Count => (_input is null ? 0 : 1) + (_output is null ? 0 : 1);

    /// <summary>An input buffer of at least <paramref name="size"/> bytes.</summary>
    public byte[] RentInput(int size) => Take(ref _input, size);

    /// <summary>Gives back an input buffer.</summary>
    public void ReturnInput(byte[] buffer) => Put(ref _input, buffer);

    /// <summary>A response buffer of at least <paramref name="size"/> bytes.</summary>
    public byte[] RentOutput(int size) => Take(ref _output, size);

    /// <summary>Gives back a response buffer.</summary>
    public void ReturnOutput(byte[] buffer) => Put(ref _output, buffer);

    /// <summary>Returns both spares to the shared pool (the server's last connection has ended).</summary>
    public void ReturnAll()
    {
        if (_input is { } input)
        {
            _input = null;
            ArrayPool<byte>.Shared.Return(input);
        }

        if (_output is { } output)
        {
            _output = null;
            ArrayPool<byte>.Shared.Return(output);
        }
    }

    private static byte[] Take(ref byte[]? spare, int size)
    {
        if (spare is { } buffer && buffer.Length >= size)
        {
            spare = null;
            return buffer;
        }

        return ArrayPool<byte>.Shared.Rent(size);
    }

    private static void Put(ref byte[]? spare, byte[] buffer)
    {
        if (spare is null)
        {
            spare = buffer;
        }
        else
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
