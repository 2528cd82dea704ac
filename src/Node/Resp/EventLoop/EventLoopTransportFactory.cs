using System.Net;
using Microsoft.AspNetCore.Connections;

namespace RaftKV.Node.Resp.EventLoop;

/// <summary>
/// Kestrel's transport for the RESP port (Kestrel's public transport interfaces: its connection handling, TLS and
/// graceful stop stay Kestrel's): <see cref="RespEventLoop"/>s instead of .NET's socket engine. It binds only an
/// <see cref="EventLoopEndPoint"/>; Kestrel's socket transport keeps every other listener. The loops start at the first
/// bind and stop when the host disposes the factory.
/// </summary>
internal sealed class EventLoopTransportFactory(int loops, ILoggerFactory loggerFactory) : IConnectionListenerFactory, IConnectionListenerFactorySelector, IDisposable
{
    private readonly Lock _lock = new();
    private RespEventLoop[]? _loops;
    private bool _disposed;

    public bool CanBind(EndPoint endpoint) => endpoint is EventLoopEndPoint;

    /// <summary>The loops started so far (none before the first bind).</summary>
    internal IReadOnlyList<RespEventLoop> StartedLoops
    {
        get
        {
            lock (_lock)
                return _loops ?? [];
        }
    }

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not EventLoopEndPoint address)
            throw new NotSupportedException($"{endpoint} is not an event loop address");
        return ValueTask.FromResult<IConnectionListener>(new EventLoopListener(address, Loops()));
    }

    private RespEventLoop[] Loops()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_loops is null)
            {
                var logger = loggerFactory.CreateLogger<RespEventLoop>();
                _loops = new RespEventLoop[Math.Max(1, loops)];
                for (var i = 0; i < _loops.Length; i++)
                    _loops[i] = new RespEventLoop("RESP loop " + i.ToString(System.Globalization.CultureInfo.InvariantCulture), logger);
            }

            return _loops;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            if (_loops is null)
                return;
            foreach (var loop in _loops)
                loop.Dispose();
        }
    }
}
