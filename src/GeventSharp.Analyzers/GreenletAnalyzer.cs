using Microsoft.CodeAnalysis.Diagnostics;

namespace GeventSharp.Analyzers;

/// <summary>
/// The shape of every GS analyzer: no generated code, concurrent, and registered only in a
/// compilation that references GeventSharp.
/// </summary>
internal abstract class GreenletAnalyzer : DiagnosticAnalyzer
{
    public sealed override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (GreenletCode.Create(start.Compilation) is { } code)
            {
                Register(start, code);
            }
        });
    }

    /// <summary>Registers the analyzer's actions for a compilation that references GeventSharp.</summary>
    protected abstract void Register(CompilationStartAnalysisContext start, GreenletCode code);
}
