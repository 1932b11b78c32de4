namespace GeventSharp;

/// <summary>Readable names for greenlet functions, worked out when a name is asked for.</summary>
/// <remarks>
/// The compiler names a lambda <c>&lt;Outer&gt;b__1_2</c> and a local function
/// <c>&lt;Outer&gt;g__Name|1_0</c>, inside a generated class (<c>&lt;&gt;c</c>,
/// <c>&lt;&gt;c__DisplayClass1_0</c>) nested in the user's type; top-level statements are the
/// method <c>&lt;Main&gt;$</c> of <c>Program</c>. A lambda is shown as <c>Outer.lambda#2</c> (the
/// compiler's number for it, which counts the method's lambdas and local functions in source
/// order), a local function by its own name, a method by its name.
/// </remarks>
internal static class GreenletNames
{
    /// <summary>A method's own name; a local function's declared name; <c>Outer.lambda#N</c> for a lambda.</summary>
    public static string Of(object? function) => function is GreenletBody body ? body.Name : MethodOf(function) is { } method ? Short(method.Name) : "greenlet";

    /// <summary>
    /// The function with its type, for reports: <c>Namespace.Type.Method</c>,
    /// <c>Namespace.Type.Outer.Local</c>, <c>Namespace.Type.Outer.lambda#N</c>; null when unknown.
    /// </summary>
    public static string? Describe(object? function)
    {
        if (MethodOf(function) is not { DeclaringType: { } type } method)
        {
            return null;
        }

        while (type.DeclaringType is { } outer && type.Name.StartsWith('<'))
        {
            type = outer; // out of the compiler's closure classes, to the type the code is written in
        }

        string name = method.Name;
        string shown = Short(name);
        if (IsLocalFunction(name, out _))
        {
            shown = Outer(name) + "." + shown;
        }

        return type.FullName + "." + shown;
    }

    // The last target types HoldsNothing classified (either way), so a spawn loop asks for a type's name once.
    private static Type? s_lastEmptyHost;
    private static Type? s_lastOtherTarget;

    /// <summary>
    /// True when a delegate's <paramref name="target"/> is the instance the C# compiler creates for
    /// the lambdas of a type that capture nothing (a class named <c>&lt;&gt;c</c>, or <c>&lt;&gt;c__N</c>
    /// in a generic method): it has no fields of its own, and a static field keeps it alive anyway,
    /// so a dead greenlet may keep the delegate instead of swapping it for its method.
    /// </summary>
    /// <remarks>
    /// The swap is not free everywhere: under Native AOT <see cref="Delegate.Method"/> builds a new
    /// <see cref="System.Reflection.MethodInfo"/> each time (~0.6 µs and 224 bytes on the benchmark
    /// machine, 2026-12-03; ~7 ns and nothing under the JIT, which caches it), which made every
    /// death of a greenlet running a non-capturing lambda cost that much.
    /// </remarks>
    public static bool HoldsNothing(object target)
    {
        Type type = target.GetType();
        if (ReferenceEquals(type, s_lastEmptyHost))
        {
            return true;
        }

        if (ReferenceEquals(type, s_lastOtherTarget))
        {
            return false;
        }

        string name = type.Name;
        bool empty = name == "<>c" || (name.Length > 5 && name.StartsWith("<>c__", StringComparison.Ordinal) && char.IsAsciiDigit(name[5]));
        if (empty)
        {
            s_lastEmptyHost = type; // races between hubs only cost a second look
        }
        else
        {
            s_lastOtherTarget = type;
        }

        return empty;
    }

    private static System.Reflection.MethodInfo? MethodOf(object? function) => function switch
    {
        Delegate d => d.Method,
        GreenletBody body => MethodOf(body.Function),
        System.Reflection.MethodInfo m => m,
        _ => null,
    };

    private static string Short(string name)
    {
        if (!name.StartsWith('<'))
        {
            return name;
        }

        if (IsLocalFunction(name, out int local))
        {
            int end = name.IndexOf('|', local);
            return end > local ? name.Substring(local + 3, end - local - 3) : name;
        }

        // A lambda: "<Outer>b__1_2" is "Outer.lambda#2".
        int b = name.IndexOf(">b__", StringComparison.Ordinal);
        if (b > 0)
        {
            string ordinal = name[(b + 4)..];
            int sep = ordinal.LastIndexOf('_');
            ordinal = sep >= 0 ? ordinal[(sep + 1)..] : ordinal;
            int generation = ordinal.IndexOf('#', StringComparison.Ordinal); // edit-and-continue's suffix
            ordinal = generation >= 0 ? ordinal[..generation] : ordinal;
            return Outer(name) + ".lambda#" + ordinal;
        }

        return name;
    }

    private static bool IsLocalFunction(string name, out int at)
    {
        at = name.IndexOf(">g__", StringComparison.Ordinal);
        if (at > 0 && name.StartsWith('<'))
        {
            at++;
            return true;
        }

        return false;
    }

    /// <summary>The method a lambda or local function is written in: <c>&lt;Outer&gt;...</c> is <c>Outer</c>; top-level statements are <c>Main</c>.</summary>
    private static string Outer(string name)
    {
        int close = name.IndexOf(">b__", StringComparison.Ordinal);
        close = close > 0 ? close : name.IndexOf(">g__", StringComparison.Ordinal);
        string outer = name[1..close];
        return outer == "<Main>$" ? "Main" : outer;
    }
}
