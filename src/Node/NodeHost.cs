using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Execution;
using RaftKV.Node.Grpc;
using RaftKV.Node.PubSub;
using RaftKV.Node.Raft;
using RaftKV.Node.Resp;
using RaftKV.Node.Server;

namespace RaftKV.Node;

/// <summary>
/// Builds the node process: configuration (appsettings.json, then environment RAFTKV__..., then command line
/// --RaftKV:...), the Raft host, Kestrel with the RESP port (a connection handler) and the gRPC port (HTTP/2).
/// SIGTERM and Ctrl-C stop it gracefully: listeners close, then the Raft node stops and the log is flushed.
/// </summary>
public static class NodeHost
{
    public static WebApplication Build(string[] args, TimeProvider? clock = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });

        builder.Services.AddOptions<NodeOptions>().Bind(builder.Configuration.GetSection(NodeOptions.SectionName));
        var options = builder.Configuration.GetSection(NodeOptions.SectionName).Get<NodeOptions>() ?? new NodeOptions();

        builder.Services.AddSingleton(clock ?? TimeProvider.System);
        builder.Services.AddSingleton<ServerInfo>();
        builder.Services.AddSingleton<DiskSpaceGuard>();
        builder.Services.AddSingleton<RaftHost>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<RaftHost>());
        builder.Services.AddSingleton<WriteBatcher>();
        builder.Services.AddSingleton<BlockingWaiters>();
        builder.Services.AddHostedService<BlockingWakeups>();
        builder.Services.AddSingleton<CommandExecutor>();
        builder.Services.AddSingleton<LeaderClock>();
        builder.Services.AddSingleton<ExpirySweeper>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<ExpirySweeper>());
        builder.Services.AddSingleton<LockLeases>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<LockLeases>());
        builder.Services.AddSingleton<ClientRegistry>();
        builder.Services.AddSingleton<PubSubBroker>();
        builder.Services.AddSingleton<InfoBuilder>();
        builder.Services.AddSingleton<ServerCommands>();
        builder.Services.AddSingleton<SessionServices>();
        builder.Services.AddHostedService<PublishDelivery>();
        builder.Services.AddGrpc();

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(EndpointParser.ParseIp(options.RespEndpoint), static listen => listen.UseConnectionHandler<RespConnectionHandler>());
            if (!string.IsNullOrWhiteSpace(options.GrpcEndpoint))
                kestrel.Listen(EndpointParser.ParseIp(options.GrpcEndpoint), static listen => listen.Protocols = HttpProtocols.Http2);
        });

        var app = builder.Build();
        app.MapGrpcService<KvService>();
        return app;
    }

    /// <summary>The node's Raft host, for tests and tools in this process.</summary>
    internal static RaftHost Raft(this WebApplication app) => app.Services.GetRequiredService<RaftHost>();

    internal static NodeOptions Options(this WebApplication app) => app.Services.GetRequiredService<IOptions<NodeOptions>>().Value;
}
