using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace RaftKV.Node.Tests.Infrastructure;

/// <summary>
/// A logger provider a test adds to a node (<see cref="TestNode.TestServices"/>) to see each warning with the
/// properties of the scopes it was written in, as the console formatters see them.
/// </summary>
internal sealed class ScopedLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<(string Message, Dictionary<string, object?> Scope)> _entries = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<(string Message, Dictionary<string, object?> Scope)> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(ScopedLogs owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
                return;
            var scope = new Dictionary<string, object?>();
            owner._scopes.ForEachScope(static (s, into) =>
            {
                if (s is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    foreach (var (key, value) in pairs)
                        into[key] = value;
                }
            }, scope);
            owner._entries.Enqueue((formatter(state, exception), scope));
        }
    }
}
