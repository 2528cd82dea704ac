using RaftKV.Node;

var app = NodeHost.Build(args);
await app.RunAsync();

// Non-zero when the node stopped itself on a fatal fault (RaftHost.LogFailedExitCode).
return Environment.ExitCode;
