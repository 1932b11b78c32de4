namespace GeventSharp.Net;

/// <summary>The default listen backlog: the system's maximum, read once.</summary>
internal static class ListenBacklog
{
    /// <summary>Used where the system's maximum cannot be read (Kestrel's default).</summary>
    public const int Fallback = 512;

    private static int s_systemDefault;

    /// <summary><c>/proc/sys/net/core/somaxconn</c> on Linux, else <see cref="Fallback"/>.</summary>
    public static int SystemDefault => s_systemDefault > 0 ? s_systemDefault : s_systemDefault = Read("/proc/sys/net/core/somaxconn");

    /// <summary>The positive number in <paramref name="path"/>, or <see cref="Fallback"/> if there is none.</summary>
    internal static int Read(string path)
    {
        try
        {
            return int.TryParse(File.ReadAllText(path).Trim(), out int n) && n > 0 ? n : Fallback;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return Fallback;
        }
    }
}
