using System.Runtime.CompilerServices;

namespace GeventSharp;

/// <summary>
/// The two parts of a pending <see cref="ValueTask"/> (its source object and token), so a greenlet
/// keeps a pending body in one reference field and a <see langword="short"/> instead of a 16-byte
/// <see cref="ValueTask"/> field that every greenlet would carry. Read through
/// <see cref="UnsafeAccessorAttribute"/> (no reflection; trimming and AOT safe).
/// </summary>
internal static class ValueTaskParts
{
    /// <summary>The task or <see cref="System.Threading.Tasks.Sources.IValueTaskSource"/> behind <paramref name="vt"/> (null if it completed synchronously).</summary>
    public static object? Source(ValueTask vt) => Obj(ref vt);

    /// <summary>The token <paramref name="vt"/> passes to its source.</summary>
    public static short Token(ValueTask vt) => TokenField(ref vt);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_obj")]
    private static extern ref object? Obj(ref ValueTask vt);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_token")]
    private static extern ref short TokenField(ref ValueTask vt);
}

/// <summary>The parts of a pending <see cref="ValueTask{TResult}"/>, as <see cref="ValueTaskParts"/>.</summary>
/// <typeparam name="T">The result type.</typeparam>
internal static class ValueTaskParts<T>
{
    /// <summary>The task or <see cref="System.Threading.Tasks.Sources.IValueTaskSource{TResult}"/> behind <paramref name="vt"/>.</summary>
    public static object? Source(ValueTask<T> vt) => Obj(ref vt);

    /// <summary>The token <paramref name="vt"/> passes to its source.</summary>
    public static short Token(ValueTask<T> vt) => TokenField(ref vt);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_obj")]
    private static extern ref object? Obj(ref ValueTask<T> vt);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_token")]
    private static extern ref short TokenField(ref ValueTask<T> vt);
}
