namespace RaftKV.Node.Diagnostics;

/// <summary>
/// The node's <see cref="ILoggerFactory"/>: every line any logger of the node writes (RaftKV's, DotNext's, ASP.NET
/// Core's) is written inside the node's <see cref="NodeLogScope"/>, so a line names its node and term without each call
/// site beginning a scope, also on threads (Kestrel's, DotNext's timers) that no scope begun elsewhere would reach.
/// Several nodes in one process (tests) each have their own factory and scope. Owns the inner factory.
/// </summary>
internal sealed class NodeScopedLoggerFactory(ILoggerFactory inner, NodeLogScope scope) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new ScopedLogger(inner.CreateLogger(categoryName), scope);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    private sealed class ScopedLogger(ILogger inner, NodeLogScope scope) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
                return;
            using (inner.BeginScope(scope))
                inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
