using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Connections;
using RaftKV.RespCeiling;

// How fast can .NET serve RESP on this machine, with nothing of RaftKV in the way? A GET/SET-only server in three
// shapes, for redis-benchmark beside redis-server (scripts/resp-ceiling.sh runs them all in one run):
//   kestrel  Kestrel's socket transport and pipes (what RaftKV's node uses), read -> answer -> flush
//   kestrel-inline  the same with socket completions run on the socket engine's threads and Kestrel's inline
//            scheduling (the node's InlineSocketCompletions setting)
//   sockets  .NET's Socket with async receive and send, no pipes
//   epoll    one thread, one epoll set, libc read/write through P/Invoke: Redis's event loop in C#
// Usage: dotnet scripts/resp-ceiling/bin/Release/net10.0/RaftKV.RespCeiling.dll kestrel|kestrel-inline|sockets|epoll PORT
if (args.Length != 2 || !int.TryParse(args[1], CultureInfo.InvariantCulture, out var port))
{
    Console.Error.WriteLine("usage: RaftKV.RespCeiling kestrel|kestrel-inline|sockets|epoll PORT");
    return 2;
}

var values = new KeyValues();
switch (args[0])
{
    case "kestrel" or "kestrel-inline":
        var inline = args[0] == "kestrel-inline";
        if (inline)
        {
            // Read by the runtime once, at the process's first socket (as the node's SocketThreads.Configure does).
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = inline);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(values);
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseConnectionHandler<KestrelHandler>()));
        await builder.Build().RunAsync().ConfigureAwait(false);
        return 0;
    case "sockets":
        await SocketServer.RunAsync(port, values).ConfigureAwait(false);
        return 0;
    case "epoll":
        EpollServer.Run(port, values);
        return 0;
    default:
        Console.Error.WriteLine($"unknown mode {args[0]}");
        return 2;
}
