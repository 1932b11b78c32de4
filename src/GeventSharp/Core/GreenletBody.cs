namespace GeventSharp;

/// <summary>
/// A greenlet's function as one small object, for library code that spawns many greenlets of one
/// kind (a server's connection handlers): it holds what a closure and its delegate would, and it
/// names the greenlet, so such a greenlet needs neither a delegate, nor a closure, nor a name object.
/// </summary>
internal abstract class GreenletBody
{
    /// <summary>The greenlet's name, unless it is given another.</summary>
    public abstract string Name { get; }

    /// <summary>The function the body calls (a delegate), for reports that say what a greenlet runs.</summary>
    public abstract object Function { get; }

    /// <summary>Runs the body, once, on its greenlet.</summary>
    public abstract Task RunAsync();
}
