using RaftKV.Node;

var app = NodeHost.Build(args);
await app.RunAsync();
return 0;
