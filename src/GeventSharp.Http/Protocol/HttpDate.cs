using System.Text;

namespace GeventSharp.Http;

/// <summary>The <c>Date</c> header line, formatted once per second of the hub's clock.</summary>
internal static class HttpDate
{
    /// <summary><c>Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n</c>: always 37 bytes.</summary>
    public const int Length = 37;

    private static FormattedDate s_current = new(long.MinValue, new byte[Length]);

    public static byte[] Current(Hub hub)
    {
        DateTimeOffset now = hub.TimeProvider.GetUtcNow();
        long second = now.ToUnixTimeSeconds();
        FormattedDate current = Volatile.Read(ref s_current);
        if (current.Second != second)
        {
            // Hubs on several threads may each format it; every result is the same and complete.
            byte[] bytes = Encoding.ASCII.GetBytes("Date: " + now.ToString("r", System.Globalization.CultureInfo.InvariantCulture) + "\r\n");
            current = new FormattedDate(second, bytes);
            Volatile.Write(ref s_current, current);
        }

        return current.Bytes;
    }

    private sealed record FormattedDate(long Second, byte[] Bytes);
}
