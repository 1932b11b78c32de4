using GeventSharp;
using GeventSharp.Samples.Seed;
using GeventSharp.Testing;

// Runs the seed's programs (S1..S11 of shared/seed) by their oracle file stem, or all of them.
//   dotnet run --project samples/Seed -c Release -- 01_sleep_switch
//   dotnet run --project samples/Seed -c Release -- all
//   add --virtual to run on the virtual clock (sleeps take no real time)
//   add --list to list the programs
//   add --elapsed to print the virtual time each program took to stderr (with --virtual)
var names = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
bool virtualClock = args.Contains("--virtual");
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
    Console.Error.WriteLine("usage: Seed NAME|all [--virtual] [--list]   (NAME: an oracle file stem, e.g. 01_sleep_switch)");
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

    var clock = virtualClock ? new VirtualClock() : null;
    HubOptions? options = clock is null ? null : new HubOptions { TimeProvider = clock };
    int code = SeedPrograms.RunOne(p, options);
    if (clock is not null && args.Contains("--elapsed"))
    {
        Console.Error.WriteLine(FormattableString.Invariant($"elapsed {clock.Elapsed.TotalSeconds}s"));
    }

    exit = Math.Max(exit, code);
}

return exit;
