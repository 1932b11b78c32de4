using System.IO.Compression;
using System.Reflection.Metadata;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace GeventSharp.Tests.Packaging;

/// <summary>
/// The README's "try a local build" steps, followed as a newcomer would: pack every package with a
/// fresh version, create a console project outside the repository (implicit usings on, as
/// <c>dotnet new console</c> makes it), give it a nuget.config of its own, add GeventSharp from the
/// local folder, and build and run the README's first example with warnings as errors.
/// </summary>
/// <remarks>
/// The run uses a packages cache of its own (<c>NUGET_PACKAGES</c>), so it neither reads nor fills
/// the machine's, and it builds the packages into a separate artifacts folder, so the repository's
/// own build outputs (which other tests load) are left alone; that folder is under
/// <c>artifacts/</c>, which git ignores.
/// </remarks>
public class FreshProjectTests
{
    private static readonly string[] s_packages = ["GeventSharp", "GeventSharp.Http", "GeventSharp.Testing", "GeventSharp.Diagnostics"];

    [Fact]
    public void TheReadmesLocalBuildSteps_GiveAProjectThatBuildsWithoutWarnings_AndRunsTheFirstExample()
    {
        string root = Directory.CreateTempSubdirectory("geventsharp-fresh-").FullName;

        // Inside the repository, as a build server's outputs are: the generated sources in obj/ are
        // then under the source root that /_/ stands for.
        string artifacts = Path.Combine(DotnetCli.RepoRoot, "artifacts", Path.GetFileName(root));
        try
        {
            var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(root, "nuget-cache") };
            string feed = Path.Combine(root, "feed");
            string suffix = "local." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
            foreach (string package in s_packages)
            {
                Ok(DotnetCli.Run(DotnetCli.RepoRoot, env, "pack", Path.Combine("src", package), "-c", "Release", "-o", feed,
                    "-p:VersionSuffix=" + suffix, "-p:ContinuousIntegrationBuild=true",
                    "-p:UseArtifactsOutput=true", "-p:ArtifactsPath=" + artifacts));
            }

            string version = "0.1.0-" + suffix;
            AssertPackagesArePinnedAndReproducible(feed, version);

            string app = Path.Combine(root, "app");
            Ok(DotnetCli.Run(root, env, "new", "console", "-o", app));
            Ok(DotnetCli.Run(app, env, "new", "nugetconfig"));
            Ok(DotnetCli.Run(app, env, "nuget", "add", "source", feed, "--name", "geventsharp-local", "--configfile", "nuget.config"));
            Ok(DotnetCli.Run(app, env, "add", "package", "GeventSharp", "--version", version));
            File.WriteAllText(Path.Combine(app, "Program.cs"), ReadmeFirstExample());

            var build = Ok(DotnetCli.Run(app, env, "build", "-c", "Release", "-warnaserror"));
            Assert.Matches(@"\b0 Warning\(s\)", build.Stdout);
            var run = Ok(DotnetCli.Run(app, env, "run", "-c", "Release", "--no-build"));
            Assert.Equal(["12", "56", "34", "78"], run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
            if (Directory.Exists(artifacts))
            {
                Directory.Delete(artifacts, recursive: true);
            }
        }
    }

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

    private static (int Exit, string Stdout, string Stderr) Ok((int Exit, string Stdout, string Stderr) result)
    {
        Assert.True(result.Exit == 0, result.Stdout + result.Stderr);
        return result;
    }
}
