using GeventSharp;

namespace GeventSharp.Samples.Seed;

/// <summary>One of the seed's programs, named after its oracle file stem.</summary>
/// <param name="Name">The oracle file stem, e.g. <c>01_sleep_switch</c>.</param>
/// <param name="Summary">What it shows.</param>
/// <param name="Main">The main greenlet.</param>
/// <param name="ExpectedExit">The exit code real gevent's run of the original has (1 for the uncaught S6 variants).</param>
/// <param name="BlocksTheHubOnPurpose">
/// True for the programs that show what a blocking call does to the hub (S2): they run without the
/// hub monitor, as gevent runs them (its monitor is off by default), so their output is the original's.
/// </param>
public sealed record SeedProgram(string Name, string Summary, Func<Task> Main, int ExpectedExit = 0, bool BlocksTheHubOnPurpose = false);

/// <summary>The registry of seed programs and how to run one like Python runs a script.</summary>
public static class SeedPrograms
{
    /// <summary>Every program, in seed order.</summary>
    public static IReadOnlyList<SeedProgram> All { get; } = new SeedProgram[]
    {
        new("01_sleep_switch", "S1: spawn + joinall, Sleep(0) switches", S01SleepSwitch.Run),
        new("02_gethostbyname_nopatch", "S2: blocking DNS in greenlets: the hub stalls, times add up", S02Dns.Blocking, BlocksTheHubOnPurpose: true),
        new("02b_gethostbyname_nopatch_original_urls", "S2: the blog's names, offline: each failure reported", S02Dns.BlockingOriginalUrls, BlocksTheHubOnPurpose: true),
        new("03_gethostbyname_patch_socket", "S3: cooperative DNS: lookups overlap", S02Dns.Cooperative),
        new("03b_gethostbyname_patch_socket_original_urls", "S3: the blog's names, offline: failures not reported", S02Dns.CooperativeOriginalUrls),
        new("04_greenlet_states", "S4: Started/Ready/Value/Successful/Exception", S04GreenletStates.Run),
        new("05_global_timeout", "S5: a Timeout started by hand interrupts Join", S05GlobalTimeout.Run),
        new("06a_with_timeout", "S6: Timeout as a scope, caught", S06WithTimeout.Caught),
        new("06b_with_timeout_toolong", "S6: Timeout raising a custom exception, caught", S06WithTimeout.TooLongCaught),
        new("06c_with_timeout_uncaught", "S6: Timeout as a scope, uncaught (exit 1)", S06WithTimeout.Uncaught, ExpectedExit: 1),
        new("06d_with_timeout_toolong_uncaught", "S6: custom exception, uncaught (exit 1)", S06WithTimeout.TooLongUncaught, ExpectedExit: 1),
    }.Concat(SeedPrimitivePrograms.All).ToArray();

    /// <summary>Finds a program by its oracle file stem.</summary>
    public static SeedProgram? Find(string name) => All.FirstOrDefault(p => p.Name == name);

    /// <summary>
    /// Runs a program as Python runs a script: an exception escaping main is printed to stderr
    /// as "Unhandled exception. Type: message" with its stack, and the exit code is 1.
    /// </summary>
    public static int RunOne(SeedProgram program, HubOptions? options = null)
    {
        if (program.BlocksTheHubOnPurpose)
        {
            options = new HubOptions { TimeProvider = options?.TimeProvider, MonitorThreshold = null };
        }

        try
        {
            Gevent.Run(program.Main, options);
            Console.Out.Flush();
            return 0;
        }
        catch (Exception e)
        {
            Console.Out.Flush();
            // Like Python's last traceback line: "Type: message", or just "Type" when the message is empty.
            string message = Py.Str(e);
            Console.Error.WriteLine("Unhandled exception. " + (message.Length == 0 ? e.GetType().FullName : $"{e.GetType().FullName}: {message}"));
            Console.Error.WriteLine(e.StackTrace);
            Console.Error.Flush();
            return 1;
        }
    }
}
