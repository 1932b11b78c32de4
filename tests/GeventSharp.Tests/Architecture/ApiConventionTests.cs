using System.Reflection;
using System.Runtime.CompilerServices;
using Xunit;

namespace GeventSharp.Tests.Architecture;

/// <summary>
/// The written rules of docs/api-guidelines.md ("one spelling per concept"), checked on every public
/// type of every GeventSharp package: a rule broken anywhere fails here, naming the member.
/// </summary>
public class ApiConventionTests
{
    /// <summary>The two awaitable-returning members named without <c>Async</c>, as .NET's <c>Task.Delay</c> and <c>Task.Yield</c>.</summary>
    private static readonly HashSet<string> AsyncSuffixExceptions = ["Gevent.Sleep", "Gevent.Yield"];

    /// <summary>gevent's control-flow signals, written everywhere in gevent code under these names.</summary>
    private static readonly HashSet<string> ExceptionNameExceptions = ["Timeout", "GreenletExit"];

    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;

    /// <summary>Every GeventSharp package the tests reference (the library, Testing, Diagnostics, and any split off later).</summary>
    private static readonly Assembly[] Packages = Directory.GetFiles(AppContext.BaseDirectory, "GeventSharp*.dll")
        .Select(AssemblyName.GetAssemblyName)
        .Where(n => !n.Name!.Contains(".Tests", StringComparison.Ordinal))
        .Select(Assembly.Load)
        .ToArray();

    private static IEnumerable<Type> PublicTypes => Packages.SelectMany(a => a.GetExportedTypes());

    private static IEnumerable<(Type Type, MethodBase Member)> PublicMembers()
    {
        foreach (Type t in PublicTypes)
        {
            IEnumerable<MethodBase> members = t.GetMethods(Declared).Where(m => !m.IsSpecialName).Cast<MethodBase>().Concat(t.GetConstructors(Declared));
            foreach (MethodBase m in members.Where(m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly))
            {
                yield return (t, m);
            }
        }
    }

    [Fact]
    public void ThePackagesAreFound() => Assert.Contains(typeof(Gevent).Assembly, Packages);

    [Fact]
    public void AwaitableReturningMethods_EndInAsync_ExceptSleepAndYield()
    {
        var offences = PublicMembers()
            .Where(x => x.Member is MethodInfo mi && IsAwaitable(mi.ReturnType) && mi.Name != nameof(Task.GetAwaiter))
            .Where(x => !x.Member.Name.EndsWith("Async", StringComparison.Ordinal) && !AsyncSuffixExceptions.Contains($"{x.Type.Name}.{x.Member.Name}"))
            .Select(x => Describe(x.Type, x.Member))
            .Distinct()
            .ToList();
        Assert.True(offences.Count == 0, "awaitable without the Async suffix:\n" + string.Join("\n", offences));
    }

    [Fact]
    public void MethodsEndingInAsync_ReturnAnAwaitable()
    {
        var offences = PublicMembers()
            .Where(x => x.Member is MethodInfo mi && mi.Name.EndsWith("Async", StringComparison.Ordinal) && !IsAwaitable(mi.ReturnType))
            .Select(x => Describe(x.Type, x.Member))
            .Distinct()
            .ToList();
        Assert.True(offences.Count == 0, "Async suffix on a member that returns no awaitable:\n" + string.Join("\n", offences));
    }

    [Fact]
    public void NoBlockFlags_NoNowaitMethods_TheNonBlockingFormIsTryX()
    {
        var offences = PublicMembers()
            .Where(x => x.Member.Name.EndsWith("Nowait", StringComparison.OrdinalIgnoreCase)
                || x.Member.GetParameters().Any(p => p.ParameterType == typeof(bool) && p.Name is "block" or "blocking"))
            .Select(x => Describe(x.Type, x.Member))
            .Distinct()
            .ToList();
        Assert.True(offences.Count == 0, "a second non-blocking spelling (use TryX):\n" + string.Join("\n", offences));
    }

    [Fact]
    public void AWait_TakesItsTimeoutBeforeItsCancellationToken()
    {
        var offences = PublicMembers()
            .Where(x =>
            {
                ParameterInfo[] ps = x.Member.GetParameters();
                int token = Array.FindIndex(ps, p => p.ParameterType == typeof(CancellationToken));
                int timeout = Array.FindLastIndex(ps, IsDuration);
                return token >= 0 && timeout > token;
            })
            .Select(x => Describe(x.Type, x.Member))
            .ToList();
        Assert.True(offences.Count == 0, "CancellationToken before the timeout:\n" + string.Join("\n", offences));
    }

    [Fact]
    public void ExceptionTypes_EndInException_ExceptTimeoutAndGreenletExit()
    {
        var offences = PublicTypes
            .Where(t => typeof(Exception).IsAssignableFrom(t) && !t.Name.EndsWith("Exception", StringComparison.Ordinal) && !ExceptionNameExceptions.Contains(t.Name))
            .Select(t => t.FullName)
            .ToList();
        Assert.True(offences.Count == 0, "exception type not named *Exception:\n" + string.Join("\n", offences));
    }

    [Fact]
    public void PublicTypeNames_ClashWithImplicitUsings_OnlyWhereThePackageAliasesThem()
    {
        // What an SDK project with <ImplicitUsings>enable</ImplicitUsings> imports.
        string[] implicitUsings = ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];
        var bcl = Directory.GetFiles(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "System*.dll")
            .Select(path => { try { return Assembly.Load(AssemblyName.GetAssemblyName(path)); } catch (BadImageFormatException) { return null; } })
            .OfType<Assembly>()
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => !t.IsNested && implicitUsings.Contains(t.Namespace))
            .Select(t => t.Name) // with the generic arity: Queue`1 clashes with Queue`1 only
            .ToHashSet();
        var clashes = PublicTypes.Where(t => !t.IsNested && bcl.Contains(t.Name)).Select(t => t.FullName!).Order().ToList();

        // The package's build props alias each clashing name to GeventSharp's type (docs/primitives/README.md).
        var aliased = System.Xml.Linq.XDocument.Load(Path.Combine(Packaging.DotnetCli.RepoRoot, "src", "GeventSharp", "build", "GeventSharp.props"))
            .Descendants().Where(e => e.Name.LocalName == "Using" && e.Attribute("Alias") is not null)
            .Select(e => (string)e.Attribute("Include")!).Order().ToList();
        Assert.Equal(aliased, clashes);
    }

    [Fact]
    public void NoPublicNonInterface_IsNamedLikeAnInterface()
    {
        static bool LooksLikeInterface(string name) => name.Length > 2 && name[0] == 'I' && char.IsUpper(name[1]);

        var offences = PublicTypes.Where(t => !t.IsInterface && LooksLikeInterface(t.Name)).Select(t => t.FullName!)
            .Concat(PublicMembers().Where(x => LooksLikeInterface(x.Member.Name)).Select(x => Describe(x.Type, x.Member)))
            .Distinct()
            .ToList();
        Assert.True(offences.Count == 0, "reads as an interface:\n" + string.Join("\n", offences));
    }

    [Fact]
    public void PublicClasses_AreSealed_UnlessTheLibraryDerivesFromThem()
    {
        var derivedFrom = Packages.SelectMany(a => a.GetTypes()).Select(t => t.BaseType).Where(b => b is not null)
            .Select(b => b!.IsGenericType ? b.GetGenericTypeDefinition() : b)
            .ToHashSet();
        var offences = PublicTypes
            .Where(t => t.IsClass && !t.IsSealed && DerivableFromOutside(t) && !derivedFrom.Contains(t))
            .Select(t => t.FullName)
            .ToList();
        Assert.True(offences.Count == 0, "unsealed, derivable from outside, and nothing in the library derives from it:\n" + string.Join("\n", offences));
    }

    [Fact]
    public void Bases_DerivableFromOutside_HaveNothingToOverride()
    {
        var offences = PublicTypes
            .Where(t => t.IsClass && !t.IsSealed && DerivableFromOutside(t))
            .SelectMany(t => t.GetMethods(Declared)
                .Where(m => m.IsVirtual && !m.IsFinal && (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly))
                .Select(m => Describe(t, m)))
            .ToList();
        Assert.True(offences.Count == 0, "an outside subclass could override (seal the override, or make the base not derivable):\n" + string.Join("\n", offences));
    }

    private static bool DerivableFromOutside(Type t)
        => t.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance).Any(c => c.IsPublic || c.IsFamily || c.IsFamilyOrAssembly);

    private static bool IsAwaitable(Type t)
    {
        if (t == typeof(Task) || t == typeof(ValueTask) || typeof(Task).IsAssignableFrom(t))
        {
            return true;
        }

        if (t.IsGenericType && (t.GetGenericTypeDefinition() == typeof(ValueTask<>) || t.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>)))
        {
            return true;
        }

        // A greenlet or a result is a handle that can also be awaited (as Task.Run returns a Task):
        // Spawn returns one without being an asynchronous operation itself.
        return !typeof(Waitable).IsAssignableFrom(t) && t.GetMethod(nameof(Task.GetAwaiter), Type.EmptyTypes) is { } ga
            && ga.ReturnType.GetInterfaces().Contains(typeof(INotifyCompletion));
    }

    private static bool IsDuration(ParameterInfo p)
        => p.ParameterType == typeof(TimeSpan) || p.ParameterType == typeof(TimeSpan?)
           || (p.ParameterType == typeof(double) && (p.Name!.Contains("econds", StringComparison.Ordinal) || p.Name.Contains("imeout", StringComparison.Ordinal)));

    private static string Describe(Type t, MethodBase m)
        => $"{t.FullName}.{m.Name}({string.Join(", ", m.GetParameters().Select(p => $"{p.ParameterType.Name} {p.Name}"))})";
}
