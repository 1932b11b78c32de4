using System.IO.Compression;
using System.Reflection.Metadata;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using GeventSharp.Tests.Samples;
using Xunit;

namespace GeventSharp.Tests.Packaging;

/// <summary>
/// The README's "try a local build" steps, followed as a newcomer would: pack every package with a
/// fresh version, create projects outside the repository (implicit usings on, as
/// <c>dotnet new console</c> makes them), give each a nuget.config of its own, add GeventSharp from
/// the local folder, and build with warnings as errors: the README's first example, and a small
/// hosted app that serves a request and stops on SIGTERM. Neither writes a <c>using GeventSharp;</c>
/// or an alias: the package's build props import the namespace and make <c>Timeout</c>,
/// <c>Semaphore</c> and <c>Lock</c> GeventSharp's under implicit usings.
/// </summary>
/// <remarks>
/// The packages are built once for both tests (<see cref="LocalFeed"/>). The run uses a packages
/// cache of its own (<c>NUGET_PACKAGES</c>), so it neither reads nor fills the machine's, and it
/// builds the packages into a separate artifacts folder, so the repository's own build outputs
/// (which other tests load) are left alone; that folder is under <c>artifacts/</c>, which git ignores.
/// </remarks>
public class FreshProjectTests(FreshProjectTests.LocalFeed feed) : IClassFixture<FreshProjectTests.LocalFeed>
{
    private static readonly string[] s_packages = ["GeventSharp", "GeventSharp.Http", "GeventSharp.Testing", "GeventSharp.Diagnostics", "GeventSharp.Hosting"];

    [Fact]
    public void TheReadmesLocalBuildSteps_GiveAProjectThatBuildsWithoutWarnings_AndRunsTheFirstExample()
    {
        AssertPackagesArePinnedAndReproducible(feed.Folder, feed.Version);

        string app = feed.NewProject("app", "GeventSharp");
        // Without its using directive: the package's props import the namespace.
        File.WriteAllText(Path.Combine(app, "Program.cs"), ReadmeFirstExample().Replace("using GeventSharp;\n", string.Empty, StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(app, "BclNames.cs"), BclNamesSource);

        var build = Ok(DotnetCli.Run(app, feed.Environment, "build", "-c", "Release", "-warnaserror"));
        Assert.Matches(@"\b0 Warning\(s\)", build.Stdout);
        var run = Ok(DotnetCli.Run(app, feed.Environment, "run", "-c", "Release", "--no-build"));
        Assert.Equal(["12", "56", "34", "78"], run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task AHostedAppFromTheLocalPackages_BuildsWithoutWarnings_ServesARequest_AndStopsOnSigterm()
    {
        string app = feed.NewProject("hosted", "GeventSharp.Hosting");
        Ok(DotnetCli.Run(app, feed.Environment, "add", "package", "Microsoft.Extensions.Hosting", "--version", "10.0.15"));
        File.WriteAllText(Path.Combine(app, "Program.cs"), HostedAppSource);
        var build = Ok(DotnetCli.Run(app, feed.Environment, "build", "-c", "Release", "-warnaserror", "-o", Path.Combine(app, "out")));
        Assert.Matches(@"\b0 Warning\(s\)", build.Stdout);

        int port = SampleProcess.FreePort();
        (SampleProcess process, _) = await SampleProcess.StartAsync(
            Path.Combine(app, "out", "hosted.dll"), ["--Http:Port=" + port, "--Gevent:ThreadPoolSize=2"], "listening");
        using (process)
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            string body = await http.GetStringAsync("/hello").WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("hello /hello from a pool of 2\n", body);

            await process.SignalAsync("TERM");
            Assert.Equal(0, await process.ExitCodeAsync());
            Assert.True(await SampleProcess.IsRefusedAsync(port));
        }
    }

    /// <summary>
    /// Names that implicit usings would make ambiguous (CS0104) without the package's aliases, and code
    /// written for <c>System.Threading.Timeout</c>, which compiles through its forwarders.
    /// </summary>
    private const string BclNamesSource = """
        internal static class BclNames
        {
            public static Timeout Limit() => new Timeout(1);

            public static Semaphore Gate() => new Semaphore(2);

            public static Lock Mutex() => new Lock();

            public static void NoLimit(CancellationTokenSource cts) => cts.CancelAfter(Timeout.Infinite);

            public static Task Forever(CancellationToken token) => Task.Delay(Timeout.InfiniteTimeSpan, token);
        }
        """;

    /// <summary>A hosted app as a newcomer writes it: the hub's options and the server's from configuration.</summary>
    private const string HostedAppSource = """
        using GeventSharp.Hosting;
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Hosting;

        HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddGeventHub(GeventServiceCollectionExtensions.DefaultHub, "Gevent");
        var gate = new Lock();
        builder.Services.AddGeventHttpServer("Http", async (services, request, response) =>
        {
            using (Timeout.StartNew(5))
            using (await gate.AcquireScopeAsync())
            {
                await Gevent.Sleep(0);
                await response.WriteAsync($"hello {request.Path} from a pool of {Hub.Current!.ThreadPool.MaxSize}\n");
            }
        });

        using IHost host = builder.Build();
        await host.StartAsync();
        Console.WriteLine("listening");
        await host.WaitForShutdownAsync();
        """;

    /// <summary>The README's first ```csharp block: what a newcomer copies first.</summary>
    private static string ReadmeFirstExample()
    {
        string readme = File.ReadAllText(Path.Combine(DotnetCli.RepoRoot, "README.md"));
        Match m = Regex.Match(readme, "```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.True(m.Success, "the README has no csharp example");
        return m.Groups[1].Value;
    }

    private static void AssertPackagesArePinnedAndReproducible(string feed, string version)
    {
        foreach (string package in s_packages)
        {
            using ZipArchive nupkg = ZipFile.OpenRead(Path.Combine(feed, $"{package}.{version}.nupkg"));
            XElement nuspec = XDocument.Load(nupkg.GetEntry($"{package}.nuspec")!.Open()).Root!;
            foreach (XElement dependency in nuspec.Descendants().Where(e => e.Name.LocalName == "dependency"))
            {
                string id = (string)dependency.Attribute("id")!;
                if (id.StartsWith("GeventSharp", StringComparison.Ordinal))
                {
                    // A sibling package is pinned to the exact version it was built and tested with.
                    Assert.Equal($"[{version}]", (string)dependency.Attribute("version")!);
                }
            }

            // Built as on a build server: the PDB names its sources by /_/..., not by this machine's paths.
            using ZipArchive snupkg = ZipFile.OpenRead(Path.Combine(feed, $"{package}.{version}.snupkg"));
            using var pdb = new MemoryStream();
            snupkg.GetEntry($"lib/net10.0/{package}.pdb")!.Open().CopyTo(pdb);
            pdb.Position = 0;
            using MetadataReaderProvider provider = MetadataReaderProvider.FromPortablePdbStream(pdb);
            MetadataReader reader = provider.GetMetadataReader();
            string[] documents = reader.Documents.Select(h => reader.GetString(reader.GetDocument(h).Name)).ToArray();
            Assert.NotEmpty(documents);
            Assert.All(documents, d => Assert.StartsWith("/_/", d));
        }
    }

    /// <summary>Every package packed once into a local folder, with a fresh version, for the tests of this class.</summary>
    public sealed class LocalFeed : IDisposable
    {
        private readonly string _root = Directory.CreateTempSubdirectory("geventsharp-fresh-").FullName;
        private readonly string _artifacts;

        public LocalFeed()
        {
            // Inside the repository, as a build server's outputs are: the generated sources in obj/ are
            // then under the source root that /_/ stands for.
            _artifacts = Path.Combine(DotnetCli.RepoRoot, "artifacts", Path.GetFileName(_root));
            Environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_root, "nuget-cache") };
            Folder = Path.Combine(_root, "feed");
            string suffix = "local." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
            Version = "0.1.0-" + suffix;
            foreach (string package in s_packages)
            {
                Ok(DotnetCli.Run(DotnetCli.RepoRoot, Environment, "pack", Path.Combine("src", package), "-c", "Release", "-o", Folder,
                    "-p:VersionSuffix=" + suffix, "-p:ContinuousIntegrationBuild=true",
                    "-p:UseArtifactsOutput=true", "-p:ArtifactsPath=" + _artifacts));
            }
        }

        /// <summary>The folder the packages are in.</summary>
        public string Folder { get; }

        /// <summary>Their version, which no cache has seen.</summary>
        public string Version { get; }

        /// <summary>The variables every dotnet command of the tests runs with (a packages cache of their own).</summary>
        public Dictionary<string, string> Environment { get; }

        /// <summary>A new console project named <paramref name="name"/> with its own nuget.config naming the folder, referencing <paramref name="package"/>.</summary>
        public string NewProject(string name, string package)
        {
            string app = Path.Combine(_root, name);
            Ok(DotnetCli.Run(_root, Environment, "new", "console", "-o", app));
            Ok(DotnetCli.Run(app, Environment, "new", "nugetconfig"));
            Ok(DotnetCli.Run(app, Environment, "nuget", "add", "source", Folder, "--name", "geventsharp-local", "--configfile", "nuget.config"));
            Ok(DotnetCli.Run(app, Environment, "add", "package", package, "--version", Version));
            return app;
        }

        public void Dispose()
        {
            Directory.Delete(_root, recursive: true);
            if (Directory.Exists(_artifacts))
            {
                Directory.Delete(_artifacts, recursive: true);
            }
        }
    }

    private static (int Exit, string Stdout, string Stderr) Ok((int Exit, string Stdout, string Stderr) result)
    {
        Assert.True(result.Exit == 0, result.Stdout + result.Stderr);
        return result;
    }
}
