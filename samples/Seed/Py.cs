namespace GeventSharp.Samples.Seed;

/// <summary>
/// Prints values the way the Python originals do, so outputs compare line for line.
/// The documented mapping: C#'s <c>null</c> prints as Python's <c>None</c>, <c>bool</c> as
/// <c>True</c>/<c>False</c>, a list as <c>['a', 'b']</c>, an exception made without a message as
/// <c>TooLong()</c>.
/// </summary>
public static class Py
{
    /// <summary>Python's <c>str()</c> of a value.</summary>
    public static string Str(object? value) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        Exception e => HasDefaultMessage(e) ? string.Empty : e.Message,
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>Python's <c>repr()</c> of a value.</summary>
    public static string Repr(object? value) => value switch
    {
        null => "None",
        string s => "'" + s + "'",
        Exception e => HasDefaultMessage(e) ? e.GetType().Name + "()" : $"{e.GetType().Name}('{e.Message}')",
        _ => Str(value),
    };

    /// <summary>Python's <c>print(list)</c>: <c>['a', None]</c>.</summary>
    public static string List<T>(IEnumerable<T> items) => "[" + string.Join(", ", items.Select(i => Repr(i))) + "]";

    /// <summary>An exception's <c>args</c> tuple: <c>()</c> when it was made without a message.</summary>
    public static string Args(Exception e) => HasDefaultMessage(e) ? "()" : $"('{e.Message}',)";

    /// <summary>
    /// Python's <c>isinstance(e, BaseException) and not isinstance(e, Exception)</c>: gevent makes
    /// <c>Timeout</c> and <c>GreenletExit</c> BaseExceptions so ordinary <c>except Exception</c>
    /// handlers let them through. .NET has one root, so the mapping is by type: those two types.
    /// </summary>
    public static bool IsBaseExceptionOnly(Exception e) => e is Timeout or GreenletExit;

    private static bool HasDefaultMessage(Exception e)
        => e.Message == $"Exception of type '{e.GetType().FullName}' was thrown.";
}
