using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GeventSharp.Analyzers;

/// <summary>GS0001 (blocking waits) and GS0002 (synchronous I/O with an async twin) in greenlet code.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class BlockingCallAnalyzer : GreenletAnalyzer
{
    /// <summary>The diagnostic property naming the fix: sleep, await, whenall, offload, twin.</summary>
    public const string FixKey = "Fix";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.BlockingWait, Descriptors.SyncIo);

    protected override void Register(CompilationStartAnalysisContext start, GreenletCode code)
    {
        start.RegisterOperationAction(c => OnInvocation(c, code), OperationKind.Invocation);
        start.RegisterOperationAction(c => OnProperty(c, code), OperationKind.PropertyReference);
    }

    private static void OnInvocation(OperationAnalysisContext context, GreenletCode code)
    {
        var call = (IInvocationOperation)context.Operation;
        IMethodSymbol method = call.TargetMethod;
        string? fix = BlockingWaits.FixFor(method);
        if (fix is null && GreenletCode.IsLibrary(method))
        {
            return;
        }

        if (code.KindAt(call.Syntax, call.SemanticModel!) != CodeKind.Greenlet || (fix == "await" && BlockingWaits.GuardedByIsCompleted(call.Syntax)))
        {
            return;
        }

        string name = $"{method.ContainingType.Name}.{method.Name}";
        if (fix is not null)
        {
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.BlockingWait, call.Syntax.GetLocation(), Props(fix), name, BlockingWaits.Advice(fix)));
        }
        else if (AsyncTwins.Find(call) is { } twin)
        {
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.SyncIo, call.Syntax.GetLocation(), Props("twin"), name, $"{twin.ContainingType.Name}.{twin.Name}"));
        }
    }

    private static void OnProperty(OperationAnalysisContext context, GreenletCode code)
    {
        var property = (IPropertyReferenceOperation)context.Operation;
        if (property.Property.Name == "Result"
            && property.Property.ContainingType.OriginalDefinition.ToDisplayString() is "System.Threading.Tasks.Task<TResult>" or "System.Threading.Tasks.ValueTask<TResult>"
            && code.KindAt(property.Syntax, property.SemanticModel!) == CodeKind.Greenlet
            && !BlockingWaits.GuardedByIsCompleted(property.Syntax))
        {
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.BlockingWait, property.Syntax.GetLocation(), Props("await"), "Task.Result", BlockingWaits.Advice("await")));
        }
    }

    private static ImmutableDictionary<string, string?> Props(string fix) => ImmutableDictionary<string, string?>.Empty.Add(FixKey, fix);
}

/// <summary>The blocking waits GS0001 knows, and the fix for each.</summary>
internal static class BlockingWaits
{
    /// <summary>"sleep", "await", "whenall" or "offload" for a blocking wait; null otherwise.</summary>
    public static string? FixFor(IMethodSymbol method)
    {
        string type = method.ContainingType.OriginalDefinition.ToDisplayString();
        return (type, method.Name) switch
        {
            ("System.Threading.Thread", "Sleep") => method.Parameters.Length == 1 && method.Parameters[0].Type.Name == "TimeSpan" ? "sleepspan" : "sleep",
            ("System.Threading.Tasks.Task", "Wait") => method.Parameters.Length == 0 ? "await" : "offload",
            ("System.Threading.Tasks.Task", "WaitAll") => method.Parameters.Length == 1 ? "whenall" : "offload",
            ("System.Threading.Tasks.Task", "WaitAny") => "offload",
            (_, "GetResult") when type.StartsWith("System.Runtime.CompilerServices.", System.StringComparison.Ordinal) && type.Contains("Awaite") => "await",
            ("System.Threading.WaitHandle", _) when method.Name.StartsWith("Wait", System.StringComparison.Ordinal) || method.Name == "SignalAndWait" => "offload",
            ("System.Threading.Thread", "Join") => "offload",
            ("System.Threading.SemaphoreSlim" or "System.Threading.ManualResetEventSlim" or "System.Threading.CountdownEvent", "Wait") => "offload",
            ("System.Threading.Barrier", "SignalAndWait") => "offload",
            ("System.Threading.Monitor", "Wait") => "offload",
            ("System.Threading.SpinWait", "SpinUntil") => "offload",
            _ => null,
        };
    }

    /// <summary>
    /// True inside the true branch of an <c>if</c> or <c>?:</c> that tests <c>IsCompleted</c> (or
    /// <c>IsCompletedSuccessfully</c>): the fast path that takes a finished result without waiting.
    /// </summary>
    public static bool GuardedByIsCompleted(SyntaxNode node)
    {
        for (SyntaxNode? child = node, parent = node.Parent; parent is not null && !GreenletCode.IsFunction(parent); child = parent, parent = parent.Parent)
        {
            ExpressionSyntax? condition = parent switch
            {
                IfStatementSyntax i when i.Statement == child => i.Condition,
                ConditionalExpressionSyntax c when c.WhenTrue == child => c.Condition,
                BinaryExpressionSyntax b when b.IsKind(SyntaxKind.LogicalAndExpression) && b.Right == child => b.Left,
                _ => null,
            };
            if (condition is not null && condition.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()
                .Any(n => n.Identifier.ValueText is "IsCompleted" or "IsCompletedSuccessfully"))
            {
                return true;
            }
        }

        return false;
    }

    public static string Advice(string fix) => fix switch
    {
        "sleep" or "sleepspan" => "await Gevent.Sleep instead",
        "await" => "await the task instead",
        "whenall" => "await Task.WhenAll instead",
        _ => "wait cooperatively, or run it off the hub with await Gevent.RunBlockingAsync(() => ...)",
    };
}

/// <summary>The asynchronous twin of a synchronous call (GS0002): <c>Read</c> → <c>ReadAsync</c>.</summary>
internal static class AsyncTwins
{
    private static readonly ImmutableHashSet<string> s_notIo = ImmutableHashSet.Create("Dispose", "Close", "Cancel", "Wait", "Equals", "ToString", "GetHashCode");

    private static readonly ImmutableHashSet<string> s_inMemory =
        ImmutableHashSet.Create("System.IO.StringWriter", "System.IO.StringReader", "System.IO.MemoryStream", "System.Text.StringBuilder");

    /// <summary>The twin to await instead of <paramref name="call"/>, or null.</summary>
    public static IMethodSymbol? Find(IInvocationOperation call)
    {
        IMethodSymbol method = call.TargetMethod;
        if (method.IsExtensionMethod || s_notIo.Contains(method.Name) || method.Name.EndsWith("Async", System.StringComparison.Ordinal)
            || Awaitables.IsAwaitable(method.ReturnType) || IsInMemoryOrConsole(call.Instance))
        {
            return null;
        }

        for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.BaseType)
        {
            foreach (IMethodSymbol candidate in type.GetMembers(method.Name + "Async").OfType<IMethodSymbol>())
            {
                if (candidate.IsStatic == method.IsStatic && ParametersMatch(method, candidate) && !IsObsolete(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>The twin takes the same parameters, then only a token or optional ones.</summary>
    private static bool ParametersMatch(IMethodSymbol method, IMethodSymbol twin)
    {
        var ours = method.OriginalDefinition.Parameters;
        var theirs = twin.OriginalDefinition.Parameters;
        if (theirs.Length < ours.Length || method.Arity != twin.Arity)
        {
            return false;
        }

        for (int i = 0; i < ours.Length; i++)
        {
            if (ours[i].RefKind != theirs[i].RefKind || ours[i].Type.ToDisplayString() != theirs[i].Type.ToDisplayString())
            {
                return false;
            }
        }

        return theirs.Skip(ours.Length).All(p => p.IsOptional || p.Type.Name == "CancellationToken");
    }

    private static bool IsObsolete(IMethodSymbol m) => m.GetAttributes().Any(a => a.AttributeClass?.Name == "ObsoleteAttribute");

    /// <summary>In-memory readers and writers, and the console's, do not wait on I/O worth a greenlet switch.</summary>
    private static bool IsInMemoryOrConsole(IOperation? receiver) => receiver switch
    {
        null => false,
        IConversionOperation c => IsInMemoryOrConsole(c.Operand),
        IPropertyReferenceOperation { Property.ContainingType: { } t, Property.Name: "Out" or "Error" or "In" } when t.ToDisplayString() == "System.Console" => true,
        _ => receiver.Type is { } type && s_inMemory.Contains(type.ToDisplayString()),
    };
}
