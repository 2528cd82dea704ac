using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Execution;
using RaftKV.Node.PubSub;
using RaftKV.Node.Raft;
using RaftKV.Node.Server;
using RaftKV.Protocol.Resp;

namespace RaftKV.Node.Resp;

/// <summary>The node-wide services every RESP session uses.</summary>
internal sealed class SessionServices(
    CommandExecutor executor,
    ServerCommands server,
    ClientRegistry clients,
    PubSubBroker broker,
    RaftHost raft,
    CommandStats stats,
    MonitorFeed monitors,
    IOptions<NodeOptions> options,
    ILoggerFactory loggerFactory,
    Security.CrossProtocolGuard crossProtocol,
    RaftKV.Node.Security.AccessControl access,
    TrackingTable tracking,
    SlowLog slowLog,
    LatencyMonitor latency)
{
    /// <summary>The latency monitor's events of this node.</summary>
    public LatencyMonitor Latency { get; } = latency;

    /// <summary>SLOWLOG's record of this node's clients' slow commands.</summary>
    public SlowLog SlowLog { get; } = slowLog;

    /// <summary>CLIENT TRACKING's table of this node.</summary>
    public TrackingTable Tracking { get; } = tracking;

    /// <summary>Authentication and ACL checks.</summary>
    public RaftKV.Node.Security.AccessControl Access { get; } = access;

    public CommandExecutor Executor { get; } = executor;

    public ServerCommands Server { get; } = server;

    public ClientRegistry Clients { get; } = clients;

    public PubSubBroker Broker { get; } = broker;

    public RaftHost Raft { get; } = raft;

    public CommandStats Stats { get; } = stats;

    public MonitorFeed Monitors { get; } = monitors;

    public NodeOptions Options { get; } = options.Value;

    public RespLimits Limits { get; } = RespLimits.Default;

    public ILogger Logger { get; } = loggerFactory.CreateLogger<ClientSession>();

    public Security.CrossProtocolGuard CrossProtocol { get; } = crossProtocol;
}
