using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace GeventSharp.Tests.Architecture;

/// <summary>
/// What a test that compiles the library's sources in memory needs for its logging: the
/// Microsoft.Extensions.Logging.Abstractions reference and its [LoggerMessage] source generator
/// (from the package folder, whose path the test project records: the generator is not copied to
/// the output). Without the generated halves the partial log methods do not compile.
/// </summary>
internal static class LoggingGenerator
{
    /// <summary>Where NuGet keeps its packages on this machine (the test project records it).</summary>
    public static string PackageRoot => Metadata("NuGetPackageRoot");

    public static MetadataReference Reference { get; } = MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.Logging.ILogger).Assembly.Location);

    /// <summary><paramref name="compilation"/> with the generated halves of its [LoggerMessage] methods.</summary>
    public static CSharpCompilation Run(CSharpCompilation compilation, CSharpParseOptions parse)
    {
        CSharpGeneratorDriver.Create(Generators().ToArray())
            .WithUpdatedParseOptions(parse)
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation generated, out _);
        return (CSharpCompilation)generated;
    }

    public static IEnumerable<ISourceGenerator> Generators()
    {
        string dll = Metadata("LoggingGenerator");
        Assert.True(File.Exists(dll), $"the logging generator was not found at {dll}");
        return new AnalyzerFileReference(dll, new Loader()).GetGenerators(LanguageNames.CSharp);
    }

    private static string Metadata(string key)
        => typeof(LoggingGenerator).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    internal sealed class Loader : IAnalyzerAssemblyLoader
    {
        public void AddDependencyLocation(string fullPath)
        {
        }

        public Assembly LoadFromPath(string fullPath) => Assembly.LoadFrom(fullPath);
    }
}
