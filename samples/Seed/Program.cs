using GeventSharp;
using GeventSharp.Samples.Seed;
using GeventSharp.Testing;

// Runs the seed's programs (S1..S11 of shared/seed) by their oracle file stem, or all of them.
//   dotnet run --project samples/Seed -c Release -- 01_sleep_switch
//   dotnet run --project samples/Seed -c Release -- all
//   add --virtual to run on the virtual clock (sleeps take no real time)
//   add --time to print the elapsed (virtual or wall) time to stderr
//   add --list to list the programs
//   add --elapsed to print the virtual time each program took to stderr (with --virtual)
var names = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
bool virtualClock = args.Contains("--virtual");
bool reportTime = args.Contains("--time");
if (args.Contains("--list"))
{
    foreach (SeedProgram p in SeedPrograms.All)
    {
        Console.WriteLine($"{p.Name,-42} {p.Summary}");
    }

    return 0;
}

if (names.Count == 0)
{
    Console.Error.WriteLine("usage: Seed NAME|all [--virtual] [--time] [--list]   (NAME: an oracle file stem, e.g. 01_sleep_switch)");
    return 2;
}

List<SeedProgram> selected;
if (names is ["all"])
{
    selected = SeedPrograms.All.ToList();
}
else
{
    selected = new List<SeedProgram>();
    foreach (string name in names)
    {
        SeedProgram? p = SeedPrograms.Find(name);
        if (p is null)
        {
            Console.Error.WriteLine($"unknown program '{name}'; known: {string.Join(", ", SeedPrograms.All.Select(x => x.Name))}");
            return 2;
        }

        selected.Add(p);
    }
}

int exit = 0;
foreach (SeedProgram p in selected)
{
    if (selected.Count > 1)
    {
        Console.WriteLine($"=== {p.Name}");
        Console.Out.Flush();
    }

    var clock = new VirtualClock();
    // On the virtual clock the monitor, which watches real time, is off (as in HubHarness).
    HubOptions? options = virtualClock ? new HubOptions { TimeProvider = clock, MonitorThreshold = null } : null;
    var wall = System.Diagnostics.Stopwatch.StartNew();
    int code = SeedPrograms.RunOne(p, options);
    if (reportTime)
    {
        Console.Error.WriteLine(virtualClock
            ? $"[time] {p.Name}: {clock.Elapsed.TotalSeconds:0.###} s virtual"
            : $"[time] {p.Name}: {wall.Elapsed.TotalSeconds:0.###} s wall");
    }
    if (virtualClock && args.Contains("--elapsed"))
    {
        Console.Error.WriteLine(FormattableString.Invariant($"elapsed {clock.Elapsed.TotalSeconds}s"));
    }

    if (selected.Count == 1)
    {
        exit = code;
    }
    else if (code != p.ExpectedExit)
    {
        Console.Error.WriteLine($"{p.Name}: exit code {code}, but the original exits with {p.ExpectedExit}");
        exit = 1;
    }
}

if (selected.Count > 1)
{
    // Several programs: succeed when each ended as its original does (06c and 06d end with an uncaught exception).
    Console.WriteLine(exit == 0
        ? $"=== {selected.Count} programs ran; every exit code is the original's"
        : $"=== {selected.Count} programs ran; some exit codes differ from the originals (see stderr)");
}

return exit;
