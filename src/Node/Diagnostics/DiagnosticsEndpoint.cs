using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using RaftKV.Node.Configuration;

namespace RaftKV.Node.Diagnostics;

/// <summary>
/// The HTTP endpoint for operators (<see cref="NodeOptions.MetricsEndpoint"/>): <c>/metrics</c> in Prometheus text
/// (RaftKV's meter and the .NET runtime's, through OpenTelemetry), <c>/health/live</c> (the process answers) and
/// <c>/health/ready</c> (<see cref="RaftReadinessCheck"/>: 200 or 503). These paths answer only on that listener; the
/// gRPC port serves <c>grpc.health.v1.Health</c> with the same readiness, for the empty service name and raftkv.v1.Kv.
/// </summary>
internal static class DiagnosticsEndpoint
{
    public const string ReadyTag = "ready";

    private static readonly string[] Paths = ["/metrics", "/health"];

    public static void AddNodeDiagnostics(this IServiceCollection services, NodeOptions options)
    {
        var instance = string.IsNullOrEmpty(options.NodeId) ? options.RaftEndpoint : options.NodeId;
        services.AddSingleton<NodeMetrics>();
        services.AddSingleton<NodeGauges>();
        services.AddSingleton<DotNextMeterBridge>();
        services.AddHostedService<RaftStateLog>();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("raftkv", serviceVersion: Server.ServerInfo.RaftKvVersion, serviceInstanceId: instance))
            .WithMetrics(static metrics => metrics
            .AddMeter(NodeMetrics.MeterName, "System.Runtime")
            .AddPrometheusExporter());
        services.AddGrpcHealthChecks(static grpc =>
            {
                grpc.Services.Map("", static check => check.Tags.Contains(ReadyTag));
                grpc.Services.Map("raftkv.v1.Kv", static check => check.Tags.Contains(ReadyTag));
            })
            .AddCheck<RaftReadinessCheck>("raft", tags: [ReadyTag]);
    }

    /// <summary>The listener, when <see cref="NodeOptions.MetricsEndpoint"/> is set (HTTP/1.1, no TLS).</summary>
    public static void ListenForDiagnostics(this KestrelServerOptions kestrel, NodeOptions options, Action<ListenOptions> bound)
    {
        if (string.IsNullOrWhiteSpace(options.MetricsEndpoint))
            return;
        kestrel.Listen(EndpointParser.ParseIp(options.MetricsEndpoint), listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            bound(listen);
        });
    }

    public static void MapNodeDiagnostics(this WebApplication app, Func<int?> diagnosticsPort)
    {
        // The meter provider (OpenTelemetry's listener) and the DotNext bridge exist before the host starts, so what the
        // Raft node records from its first moment (an election, a flush) is heard; otherwise OpenTelemetry's hosted
        // service builds the provider only after the services registered before it (RaftHost among them) started.
        app.Services.GetRequiredService<MeterProvider>();
        app.Services.GetRequiredService<NodeGauges>();
        app.Services.GetRequiredService<DotNextMeterBridge>();

        // Routes answer on every HTTP listener in ASP.NET Core; these stay on the operators' port (which a firewall
        // may open to a monitoring host) and off the gRPC and snapshot ports.
        app.Use((context, next) =>
        {
            if (Array.Exists(Paths, p => context.Request.Path.StartsWithSegments(p, StringComparison.Ordinal))
                && context.Connection.LocalPort != diagnosticsPort())
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = static _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = static check => check.Tags.Contains(ReadyTag) });
        app.MapGrpcHealthChecksService();
    }
}
