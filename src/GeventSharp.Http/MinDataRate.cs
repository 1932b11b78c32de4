namespace GeventSharp.Http;

/// <summary>
/// The slowest a client may send a request body or read a response: an average of
/// <see cref="BytesPerSecond"/> once <see cref="GracePeriod"/> has passed (Kestrel's <c>MinDataRate</c>).
/// </summary>
/// <remarks>
/// The properties are settable so the rate can be bound from configuration
/// (<c>"MinRequestBodyDataRate": { "BytesPerSecond": 240, "GracePeriod": "00:00:05" }</c>).
/// The server checks rates once a second, so a cut comes up to a second after the rate is missed.
/// </remarks>
/// <example><code>new HttpServerOptions { MinRequestBodyDataRate = new MinDataRate { BytesPerSecond = 1024, GracePeriod = TimeSpan.FromSeconds(10) } }</code></example>
public sealed class MinDataRate
{
    /// <summary>240 bytes per second after a grace period of 5 seconds, Kestrel's default.</summary>
    public MinDataRate()
    {
    }

    /// <summary>The least average number of bytes per second; 240 by default.</summary>
    public double BytesPerSecond { get; set; } = 240;

    /// <summary>How long a client may go below the rate at the start (a slow start, a pause); 5 s by default.</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Like <c>240 B/s after 00:00:05</c>.</summary>
    public override string ToString() => $"{BytesPerSecond} B/s after {GracePeriod}";

    internal void Validate()
    {
        if (!(BytesPerSecond > 0) || double.IsInfinity(BytesPerSecond))
        {
            throw new ArgumentOutOfRangeException(nameof(BytesPerSecond), BytesPerSecond, "A minimum data rate must be a positive number of bytes per second.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(GracePeriod, TimeSpan.Zero, nameof(GracePeriod));
    }
}
