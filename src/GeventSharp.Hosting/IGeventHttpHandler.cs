using GeventSharp.Http;

namespace GeventSharp.Hosting;

/// <summary>
/// An HTTP handler resolved from dependency injection for each request (registered with
/// <see cref="GeventServiceCollectionExtensions.AddGeventHttpServer{THandler}"/>): its constructor
/// gets the request's scoped services and the application's singletons.
/// </summary>
/// <example>
/// <code>
/// public sealed class HelloHandler(Greeter greeter) : IGeventHttpHandler
/// {
///     public async Task HandleAsync(HttpRequest request, HttpResponse response)
///         =&gt; await response.WriteAsync(greeter.Greet(request.Path));
/// }
/// </code>
/// </example>
public interface IGeventHttpHandler
{
    /// <summary>Answers one request, in the connection's greenlet on the server's hub.</summary>
    Task HandleAsync(HttpRequest request, HttpResponse response);
}
