using System.Diagnostics;

namespace GeventSharp;

/// <summary>
/// A value with one slot per greenlet (gevent's <c>gevent.local.local</c>): what one greenlet
/// sets, another does not see.
/// </summary>
/// <typeparam name="T">The type of the value.</typeparam>
/// <remarks>
/// <para>Every greenlet has its own slot, the main greenlet included. Reading a slot that was never
/// set throws <see cref="LocalValueNotSetException"/> (gevent raises <c>AttributeError</c>), unless the
/// local has an initial-value factory: then the factory runs once per greenlet, on its first read.
/// <see cref="TryGetValue"/> never throws.</para>
/// <para>A greenlet's values are dropped when it dies, so they can be collected even while the
/// <see cref="Greenlet"/> object is still referenced. While a greenlet lives, a value stays reachable
/// only as long as its <see cref="Local{T}"/> does: a local that nobody references any more is
/// collected with its values (as in gevent). <see cref="Remove"/> drops one early.</para>
/// <para>Use it only from greenlet code (not from hub callbacks or other threads).</para>
/// </remarks>
/// <example>
/// <code>
/// var user = new Local&lt;string&gt;();
/// Gevent.Spawn(() =&gt; { user.Value = "ann"; Console.WriteLine(user.Value); });   // ann
/// Gevent.Spawn(() =&gt; Console.WriteLine(user.TryGetValue(out var u) ? u : "none")); // none
/// </code>
/// </example>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class Local<T>
{
    private readonly Func<T>? _initial;
    private readonly string? _name;

    /// <summary>Creates a local with no initial value: reading before setting throws.</summary>
    /// <param name="name">A name for error messages, e.g. <c>"x"</c>.</param>
    public Local(string? name = null) => _name = name;

    /// <summary>Creates a local whose slot in each greenlet starts as <paramref name="initialValue"/>(), run once per greenlet on first read.</summary>
    /// <param name="initialValue">Runs in the reading greenlet.</param>
    /// <param name="name">A name for error messages.</param>
    public Local(Func<T> initialValue, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(initialValue);
        _initial = initialValue;
        _name = name;
    }

    /// <summary>
    /// The current greenlet's value. Reading an unset value runs the initial-value factory if there
    /// is one, otherwise throws <see cref="LocalValueNotSetException"/>.
    /// </summary>
    /// <exception cref="LocalValueNotSetException">Not set in this greenlet, and no factory.</exception>
    /// <exception cref="InvalidOperationException">Not called from a greenlet.</exception>
    public T Value
    {
        get
        {
            Greenlet current = Hub.CurrentGreenletOrThrow("Local.Value");
            if (TryGetBox(current, out Box? box))
            {
                return box.Value;
            }

            if (_initial is null)
            {
                throw new LocalValueNotSetException(
                    $"{Describe()} has no value in {current}: each greenlet has its own. Set it in this greenlet, use TryGetValue, or give the Local an initial-value factory.");
            }

            T value = _initial();
            Slots(current).AddOrUpdate(this, new Box(value));
            return value;
        }

        set
        {
            Greenlet current = Hub.CurrentGreenletOrThrow("Local.Value");
            if (TryGetBox(current, out Box? box))
            {
                box.Value = value;
                return;
            }

            Slots(current).AddOrUpdate(this, new Box(value));
        }
    }

    /// <summary>True if the current greenlet has set a value (or read one from the factory).</summary>
    public bool HasValue => TryGetBox(Hub.CurrentGreenletOrThrow("Local.HasValue"), out _);

    /// <summary>Gets the current greenlet's value if it has one; never throws for an unset value and never runs the factory.</summary>
    public bool TryGetValue(out T value)
    {
        if (TryGetBox(Hub.CurrentGreenletOrThrow("Local.TryGetValue"), out Box? box))
        {
            value = box.Value;
            return true;
        }

        value = default!;
        return false;
    }

    /// <summary>Removes the current greenlet's value (Python's <c>del local.x</c>); true if there was one.</summary>
    public bool Remove()
    {
        Greenlet current = Hub.CurrentGreenletOrThrow("Local.Remove");
        return current.LocalSlotsOrNull is { } slots && slots.Remove(this);
    }

    private bool TryGetBox(Greenlet g, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Box? box)
    {
        if (g.LocalSlotsOrNull is { } slots && slots.TryGetValue(this, out object? o))
        {
            box = (Box)o;
            return true;
        }

        box = null;
        return false;
    }

    private static System.Runtime.CompilerServices.ConditionalWeakTable<object, object> Slots(Greenlet g) => g.LocalSlots;

    private string Describe() => _name is null ? $"Local<{typeof(T).Name}>" : $"Local<{typeof(T).Name}> '{_name}'";

    /// <summary>Like <c>&lt;Local&lt;Int32&gt; 'x'&gt;</c>; the value is per greenlet, so it is not shown.</summary>
    public override string ToString() => $"<{Describe()}>";

    private sealed class Box(T value) : ILocalSlot
    {
        public T Value = value;

        public void Drop() => Value = default!;
    }
}

/// <summary>
/// Thrown when a greenlet reads a <see cref="Local{T}"/> it never set (gevent's <c>AttributeError</c>).
/// </summary>
/// <example>
/// <code>
/// try { Console.WriteLine(data.Value); }
/// catch (LocalValueNotSetException) { Console.WriteLine("x is not visible"); }
/// </code>
/// </example>
public sealed class LocalValueNotSetException : InvalidOperationException
{
    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public LocalValueNotSetException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public LocalValueNotSetException()
        : base("The greenlet-local value is not set in this greenlet.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public LocalValueNotSetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
