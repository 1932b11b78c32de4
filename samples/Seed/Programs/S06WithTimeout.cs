namespace GeventSharp.Samples.Seed;

/// <summary>S6: a <see cref="Timeout"/> as a scope; with a custom exception; caught and uncaught.</summary>
public static class S06WithTimeout
{
    /// <summary>The seed's custom exception.</summary>
    public sealed class TooLong : Exception
    {
    }

    public static async Task Caught()
    {
        try
        {
            using (Timeout.StartNew(1))
            {
                await Gevent.Sleep(10);
            }
        }
        catch (Timeout e)
        {
            Console.WriteLine($"caught {e.GetType().Name}: {Py.Str(e)}");
            Console.WriteLine($"isinstance(e, Timeout): {Py.Str(e is Timeout)}");
            Console.WriteLine($"isinstance(e, BaseException) and not Exception: {Py.Str(Py.IsBaseExceptionOnly(e))}");
            Console.WriteLine($"e.seconds: {e.Seconds}");
        }
    }

    public static async Task TooLongCaught()
    {
        try
        {
            using (Timeout.StartNew(1, typeof(TooLong)))
            {
                await Gevent.Sleep(10);
            }
        }
        catch (TooLong e)
        {
            Console.WriteLine($"caught {e.GetType().Name}: {Py.Repr(e)}");
            Console.WriteLine($"args: {Py.Args(e)}");
            Console.WriteLine($"isinstance(e, Timeout): {Py.Str((Exception)e is Timeout)}");
        }
    }

    public static async Task Uncaught()
    {
        using (Timeout.StartNew(1))
        {
            await Gevent.Sleep(10);
        }
    }

    public static async Task TooLongUncaught()
    {
        using (Timeout.StartNew(1, typeof(TooLong)))
        {
            await Gevent.Sleep(10);
        }
    }
}
