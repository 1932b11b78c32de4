namespace GeventSharp;

/// <summary>Argument checks usable in constructor initializers.</summary>
internal static class Throw
{
    public static T IfNull<T>(T? value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
        where T : class
        => value ?? throw new ArgumentNullException(name);
}
