using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Diagnostics;
using RaftKV.Node.Execution;
using RaftKV.Node.Grpc;
using RaftKV.Node.PubSub;
using RaftKV.Node.Raft;
using RaftKV.Node.Resp;
using RaftKV.Node.Security;
using RaftKV.Node.Server;

namespace RaftKV.Node;

/// <summary>
/// Builds the node process: configuration (appsettings.json, then environment RAFTKV__..., then command line
/// --RaftKV:...), the Raft host, Kestrel with the RESP port (a connection handler) and the gRPC port (HTTP/2).
/// SIGTERM and Ctrl-C stop it gracefully: listeners close, then the Raft node stops and the log is flushed.
/// </summary>
public static class NodeHost
{
    public static WebApplication Build(string[] args, TimeProvider? clock = null) => Build(args, clock, null);

    /// <summary>As <see cref="Build(string[], TimeProvider?)"/>, with services a test adds (hooks into the node).</summary>
    internal static WebApplication Build(string[] args, TimeProvider? clock, Action<IServiceCollection>? testServices)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });

        InstallConfigurationFile(builder.Configuration);

        // Under systemd (Type=notify): READY=1 once started, STOPPING=1 on SIGTERM, log lines with syslog priorities.
        // Elsewhere it does nothing.
        builder.Services.AddSystemd();

        // The slim builder's console logger is fixed to the simple format; this registers json and systemd too, and
        // binds Logging:Console (FormatterName, FormatterOptions) after the slim builder's own setting, so it wins.
        builder.Logging.AddConsole();
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(builder.Configuration.GetSection("Logging:Console"));
        builder.Services.AddOptions<NodeOptions>().Bind(builder.Configuration.GetSection(NodeOptions.SectionName));
        var options = builder.Configuration.GetSection(NodeOptions.SectionName).Get<NodeOptions>() ?? new NodeOptions();

        // Every line any logger of the node writes carries the node and its current term (Diagnostics/NodeLogScope).
        var logScope = new NodeLogScope(string.IsNullOrEmpty(options.NodeId) ? options.RaftEndpoint : options.NodeId);
        builder.Services.AddSingleton(logScope);
        builder.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp => new NodeScopedLoggerFactory(
            new LoggerFactory(
                sp.GetServices<ILoggerProvider>(),
                sp.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
                sp.GetService<IOptions<LoggerFactoryOptions>>(),
                sp.GetService<IExternalScopeProvider>()),
            logScope)));

        builder.Services.AddSingleton(clock ?? TimeProvider.System);
        builder.Services.AddSingleton<ServerInfo>();
        builder.Services.AddSingleton<DiskSpaceGuard>();
        builder.Services.AddSingleton<NodeTls>();
        builder.Services.AddSingleton(new SnapshotOffers(options.SnapshotInlineBytes));
        builder.Services.AddSingleton<RaftHost>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<RaftHost>());
        builder.Services.AddSingleton<WriteBatcher>();
        builder.Services.AddSingleton<BlockingWaiters>();
        builder.Services.AddHostedService<BlockingWakeups>();
        builder.Services.AddSingleton<CommandExecutor>();
        builder.Services.AddSingleton<LeaderClock>();
        builder.Services.AddSingleton<ExpirySweeper>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<ExpirySweeper>());
        builder.Services.AddSingleton<MemoryEvictor>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<MemoryEvictor>());
        builder.Services.AddSingleton<ScriptDecider>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<ScriptDecider>());
        builder.Services.AddSingleton<LockLeases>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<LockLeases>());
        builder.Services.AddSingleton<Security.ClusterSecretProposer>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<Security.ClusterSecretProposer>());
        builder.Services.AddSingleton<ClientRegistry>();
        builder.Services.AddSingleton<RaftKV.Node.Server.SlowLog>();
        builder.Services.AddSingleton<RaftKV.Node.Server.LatencyMonitor>();
        builder.Services.AddSingleton<MonitorFeed>();
        builder.Services.AddHostedService<ScriptCallMonitoring>();
        builder.Services.AddSingleton<PubSubBroker>();
        builder.Services.AddSingleton<TrackingTable>();
        builder.Services.AddHostedService<TrackingDelivery>();
        builder.Services.AddSingleton<CommandStats>();
        builder.Services.AddSingleton<InfoBuilder>();
        builder.Services.AddSingleton<ConfigCommand>();
        builder.Services.AddSingleton<FunctionCommand>();
        builder.Services.AddSingleton<ServerCommands>();
        builder.Services.AddSingleton<WaitCommand>();
        builder.Services.AddSingleton<ReplicaAcks>();
        builder.Services.AddSingleton<FailoverCommand>();
        builder.Services.AddSingleton<MembershipChanges>();
        builder.Services.AddSingleton<MemberProgress>();
        builder.Services.AddSingleton<WatchHub>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<WatchHub>());
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<MemberProgress>());
        builder.Services.AddSingleton<MembershipCommands>();
        builder.Services.AddSingleton<IMemberAddresses, RaftMemberAddresses>();
        builder.Services.AddSingleton<SentinelCommand>();
        builder.Services.AddSingleton<ShutdownCommand>();
        builder.Services.AddSingleton<ScriptCommand>();
        builder.Services.AddSingleton<SessionServices>();
        builder.Services.AddSingleton<Security.CrossProtocolGuard>();
        builder.Services.AddSingleton<Security.IDefaultUserPassword>(static sp => sp.GetRequiredService<Security.AccessControl>());
        builder.Services.AddSingleton<Security.ProtectedModeCheck>();
        builder.Services.AddSingleton<RaftKV.Node.Security.AccessControl>();
        builder.Services.AddSingleton<RaftKV.Node.Security.AclCommand>();
        builder.Services.AddHostedService<RaftKV.Node.Security.AclBootstrapper>();
        builder.Services.AddHostedService<RaftKV.Node.Security.AclRevocationSweeper>();
        builder.Services.AddHostedService<PublishDelivery>();
        builder.Services.AddHostedService<LeaderChangeAnnouncer>();
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = options.GrpcMaxMessageBytes;
            grpc.MaxSendMessageSize = options.GrpcMaxMessageBytes;
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddSingleton<GrpcCommands>();
        builder.Services.AddNodeDiagnostics(options);
        testServices?.Invoke(builder.Services);

        var raftAddress = EndpointParser.ParseIp(options.RaftEndpoint).Address;
        var snapshotEndpoint = string.IsNullOrWhiteSpace(options.SnapshotTransferEndpoint)
            ? new System.Net.IPEndPoint(raftAddress, 0)
            : EndpointParser.ParseIp(options.SnapshotTransferEndpoint);
        ListenOptions? snapshotListener = null;
        ListenOptions? diagnosticsListener = null;
        // Before the node's first socket: the runtime reads the switch once per process.
        var inlineCompletions = SocketThreads.Configure(options.InlineSocketCompletions);
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = inlineCompletions);
        var respLoops = OperatingSystem.IsLinux() ? options.RespEventLoops : 0;
        if (respLoops > 0)
            builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IConnectionListenerFactory>(
                services => new Resp.EventLoop.EventLoopTransportFactory(respLoops, services.GetRequiredService<ILoggerFactory>()));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var tls = kestrel.ApplicationServices.GetRequiredService<NodeTls>();
            kestrel.Listen(snapshotEndpoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (tls.Options.Snapshots)
                    listen.UseHttps(https => tls.ConfigureHttps(https, Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate));
                snapshotListener = listen;
            });
            var respEndpoint = EndpointParser.ParseIp(options.RespEndpoint);
            kestrel.Listen(respLoops > 0 ? new Resp.EventLoop.EventLoopEndPoint(respEndpoint) : respEndpoint, listen =>
            {
                if (tls.Options.Resp)
                    listen.UseHttps(https => tls.ConfigureHttps(https, tls.RespClientCertificateMode));
                listen.UseConnectionHandler<RespConnectionHandler>();
            });
            kestrel.ListenForDiagnostics(options, listen => diagnosticsListener = listen);
            if (!string.IsNullOrWhiteSpace(options.GrpcEndpoint))
            {
                if (options.GrpcKeepAliveMs > 0)
                {
                    // Kestrel's limits are per server, and only the gRPC listener speaks HTTP/2 to clients.
                    kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromMilliseconds(options.GrpcKeepAliveMs);
                    kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromMilliseconds(options.GrpcKeepAliveMs);
                }

                kestrel.Listen(EndpointParser.ParseIp(options.GrpcEndpoint), listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    if (tls.Options.Grpc)
                        listen.UseHttps(https => tls.ConfigureHttps(https, Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.NoCertificate));
                });
            }
        });

        var app = builder.Build();

        // Routes are not tied to listeners in ASP.NET Core: without this the snapshot route (the whole keyspace) was
        // served on the gRPC port too, which clients reach and which the snapshot listener's protections do not cover.
        // An HTTP request (a gRPC call, a snapshot download, /metrics) leaves the socket event thread (SocketThreads).
        app.Use(async (context, next) =>
        {
            await SocketThreads.Leave();
            await next(context).ConfigureAwait(false);
        });
        app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(SnapshotOffers.RoutePrefix.TrimEnd('/'), StringComparison.Ordinal)
                && context.Connection.LocalPort != snapshotListener?.IPEndPoint?.Port)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
        app.MapGrpcService<KvService>();
        app.MapGrpcService<TxnService>();
        app.MapGrpcService<LockService>();
        app.MapGrpcService<AdminService>();
        app.MapGrpcService<WatchService>();
        app.MapGrpcReflectionService();
        app.MapNodeDiagnostics(() => diagnosticsListener?.IPEndPoint?.Port);
        app.MapGet(SnapshotOffers.RoutePrefix + "{name}", static (string name, HttpContext context, RaftHost raft) =>
            raft.IsStarted ? raft.StateMachine.Offers.ServeAsync(raft.StateMachine.Location, name, context) : Unavailable(context));

        // The URL followers download from: the bound port (the OS picks it by default), under the address peers reach
        // this node at (the Raft endpoint's, also when the listener is bound to every interface).
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (snapshotListener?.IPEndPoint is { } bound)
            {
                var host = bound.Address.Equals(System.Net.IPAddress.Any) || bound.Address.Equals(System.Net.IPAddress.IPv6Any)
                    ? raftAddress
                    : bound.Address;
                app.Services.GetRequiredService<SnapshotOffers>().BaseUrl =
                    SnapshotOffers.UrlOf(new System.Net.IPEndPoint(host, bound.Port), https: options.Tls.Snapshots);
            }
        });
        return app;
    }

    /// <summary>Where an installed node reads its settings; RAFTKV_CONFIG_FILE names another file.</summary>
    public const string InstalledConfigurationFile = "/etc/raftkv/raftkv.json";

    // The installed configuration file, when present, ranks with appsettings.json: above it, below the environment and
    // the command line, so a systemd drop-in or an operator's --RaftKV:... still wins.
    private static void InstallConfigurationFile(ConfigurationManager configuration)
    {
        var path = Environment.GetEnvironmentVariable("RAFTKV_CONFIG_FILE") is { Length: > 0 } own ? own : InstalledConfigurationFile;
        if (!File.Exists(path))
            return;
        var sources = (IList<IConfigurationSource>)((IConfigurationBuilder)configuration).Sources;
        var after = 0;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is Microsoft.Extensions.Configuration.Json.JsonConfigurationSource)
                after = i + 1;
        }

        var file = new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource { Path = path, Optional = true, ReloadOnChange = false };
        file.ResolveFileProvider();
        sources.Insert(after, file);
    }

    private static Task Unavailable(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return Task.CompletedTask;
    }

    /// <summary>The node's Raft host, for tests and tools in this process.</summary>
    internal static RaftHost Raft(this WebApplication app) => app.Services.GetRequiredService<RaftHost>();

    internal static NodeOptions Options(this WebApplication app) => app.Services.GetRequiredService<IOptions<NodeOptions>>().Value;
}
