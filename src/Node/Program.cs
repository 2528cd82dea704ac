using RaftKV.Node;
using RaftKV.Node.Server;

// Before anything opens a socket: .NET reads the switch once.
InlineIo.Enable();
var app = NodeHost.Build(args);
await app.RunAsync();

// Non-zero when the node stopped itself on a fatal fault (RaftHost.LogFailedExitCode).
return Environment.ExitCode;
