using System.Globalization;
using System.Runtime;
using System.Text;
using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Raft;
using RaftKV.Node.Resp;

namespace RaftKV.Node.Server;

/// <summary>
/// INFO text in Redis's format (<c># Section</c> headers, <c>field:value</c> lines, CRLF). The replication section
/// speaks Redis: <c>role:master</c> on the leader, <c>role:slave</c> with the leader's RESP address elsewhere, so
/// clients route writes by themselves. The raft section has the consensus state.
/// </summary>
internal sealed class InfoBuilder(RaftHost raft, RaftKV.Node.Raft.DiskSpaceGuard disk, ClientRegistry clients, ServerInfo server, IOptions<NodeOptions> options, TimeProvider clock,
    RaftKV.Node.Execution.ExpirySweeper expiry, CommandStats commands, RaftKV.Node.PubSub.TrackingTable tracking,
    RaftKV.Node.Execution.MemoryEvictor evictor)
{
    private static readonly string[] DefaultSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "errorstats", "keyspace", "raft"];
    private static readonly string[] AllSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "commandstats", "errorstats", "keyspace", "raft"];
    private readonly NodeOptions _options = options.Value;

    /// <summary>
    /// The replicated counters INFO shows, read in one go: while an entry is being applied the read waits for it without
    /// holding a thread (KvStateMachine.ReadAsync).
    /// </summary>
    private readonly record struct StateFigures(
        int CachedScripts, long CachedScriptBytes, long ScriptEngineMemory, long Changes, long ExpiredKeys, long Keys, long ExpiringKeys,
        long EvictedKeys);

    public async ValueTask<string> BuildAsync(IReadOnlyList<string> requested, ClientSession? session, CancellationToken token)
    {
        var figures = raft.IsStarted
            ? await raft.StateMachine.ReadAsync(static s => new StateFigures(
                s.CachedScriptCount, s.CachedScriptBytes, s.ScriptEngineMemory, s.ChangeCount, s.ExpiredKeyCount, s.KeyCount, s.ExpiringKeyCount,
                s.EvictedKeyCount), token).ConfigureAwait(false)
            : default;
        return Build(requested, session, figures);
    }

    private string Build(IReadOnlyList<string> requested, ClientSession? session, StateFigures figures)
    {
        // As Redis 7.0: no argument is "default" (errorstats included); "all" and "everything" are the default sections
        // and commandstats; sections come once each, in the server's order whatever the order asked.
        var asked = requested.Count == 0 ? ["default"] : requested.Select(static r => r.ToLowerInvariant()).ToHashSet();
        if (asked.Contains("all") || asked.Contains("everything"))
            asked.UnionWith(["default", "commandstats"]);
        if (asked.Contains("default"))
            asked.UnionWith(DefaultSections);
        var sections = AllSections.Where(asked.Contains);
        var text = new StringBuilder();
        foreach (var section in sections)
        {
            var start = text.Length;
            switch (section)
            {
                case "server": Server(text); break;
                case "clients": Clients(text); break;
                case "memory": Memory(text, raft, evictor); Scripts(text, figures); break;
                case "persistence": Persistence(text, figures); break;
                case "stats": Stats(text, figures); break;
                case "replication": Replication(text); break;
                case "cpu": Cpu(text); break;
                case "keyspace": Keyspace(text, figures); break;
                case "commandstats": CommandStatistics(text); break;
                case "errorstats": text.Append("# Errorstats\r\n"); commands.Errors.AppendTo(text); break;
                case "raft": Raft(text); break;
                default: continue;
            }

            if (text.Length > start)
                text.Append("\r\n");
        }

        _ = session;
        return text.ToString().TrimEnd('\r', '\n') + "\r\n";
    }

    private static void Line(StringBuilder text, string field, object value) =>
        text.Append(field).Append(':').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append("\r\n");

    private void Server(StringBuilder text)
    {
        var uptime = (long)(clock.GetUtcNow() - server.StartedAt).TotalSeconds;
        var (_, port) = EndpointParser.Split(_options.RespEndpoint);
        text.Append("# Server\r\n");
        Line(text, "redis_version", ServerInfo.RedisVersion);
        Line(text, "redis_mode", "standalone");
        Line(text, "raftkv_version", ServerInfo.RaftKvVersion);
        Line(text, "os", System.Runtime.InteropServices.RuntimeInformation.OSDescription);
        Line(text, "arch_bits", IntPtr.Size * 8);
        Line(text, "process_id", Environment.ProcessId);
        Line(text, "run_id", server.RunId);
        Line(text, "tcp_port", port);
        Line(text, "uptime_in_seconds", uptime);
        Line(text, "uptime_in_days", uptime / 86400);
        Line(text, "executable", Environment.ProcessPath ?? string.Empty);
    }

    private void Clients(StringBuilder text)
    {
        text.Append("# Clients\r\n");
        Line(text, "connected_clients", clients.Count);
        Line(text, "cluster_connections", 0);
        Line(text, "maxclients", 10000);
        Line(text, "blocked_clients", clients.Blocked);
        Line(text, "tracking_clients", tracking.TrackingClients);
    }

    // The script cache is replicated state (every node lists the same scripts); the Lua state is this node's own.
    private static void Scripts(StringBuilder text, StateFigures figures)
    {
        var (count, bodies, vm) = (figures.CachedScripts, figures.CachedScriptBytes, figures.ScriptEngineMemory);
        Line(text, "used_memory_lua", vm);
        Line(text, "used_memory_vm_eval", vm);
        Line(text, "used_memory_scripts_eval", bodies);
        Line(text, "number_of_cached_scripts", count);
    }

    private static void Memory(StringBuilder text, RaftHost raft, RaftKV.Node.Execution.MemoryEvictor evictor)
    {
        text.Append("# Memory\r\n");
        Line(text, "used_memory", GC.GetTotalMemory(forceFullCollection: false));
        Line(text, "used_memory_rss", Environment.WorkingSet);

        // The managed heap as of the last collection, to tell it apart from the rest of the RSS (runtime, code, mapped
        // log pages): heap size includes fragmentation (free space between live objects); committed is what the GC
        // holds from the OS, heap and free regions alike.
        var gc = GC.GetGCMemoryInfo();
        Line(text, "raftkv_gc_heap_bytes", gc.HeapSizeBytes);
        Line(text, "raftkv_gc_fragmented_bytes", gc.FragmentedBytes);
        Line(text, "raftkv_gc_committed_bytes", gc.TotalCommittedBytes);
        Line(text, "raftkv_gc_mode", GCSettings.IsServerGC ? "server" : "workstation");
        Line(text, "maxmemory", raft.IsStarted ? raft.StateMachine.MaxMemoryBytes : 0);
        Line(text, "maxmemory_policy", raft.IsStarted ? raft.StateMachine.MaxMemoryPolicy : "noeviction");
        // What maxmemory does not count (the gRPC Watch history, as Redis leaves out its replication backlog).
        Line(text, "mem_not_counted_for_evict", evictor.NotCountedBytes);

        // Nothing is freed in the background here (the .NET collector reclaims what a delete or flush drops).
        Line(text, "lazyfree_pending_objects", 0);
        Line(text, "lazyfreed_objects", 0);
    }

    private void Persistence(StringBuilder text, StateFigures figures)
    {
        text.Append("# Persistence\r\n");
        Line(text, "loading", 0);
        Line(text, "rdb_changes_since_last_save", figures.Changes);
        Line(text, "aof_enabled", 1);
        Line(text, "rdb_bgsave_in_progress", server.IsSaving ? 1 : 0);
        Line(text, "aof_rewrite_in_progress", server.IsSaving ? 1 : 0);
        Line(text, "aof_rewrite_scheduled", 0);
        Line(text, "rdb_last_bgsave_status", "ok");
        Line(text, "aof_fsync", "always");
        Line(text, "raftkv_disk_free_bytes", disk.FreeBytes);
        Line(text, "raftkv_disk_writes_refused", disk.IsLow ? 1 : 0);
        Line(text, "raft_snapshot_index", raft.IsStarted ? raft.StateMachine.SnapshotIndex : 0);
        Line(text, "raft_last_snapshot_ms", raft.IsStarted ? raft.StateMachine.LastSnapshotMilliseconds : -1);
        Line(text, "raft_last_snapshot_bytes", raft.IsStarted ? raft.StateMachine.LastSnapshotBytes : 0);
        Line(text, "raft_last_snapshot_cow_keys", raft.IsStarted ? raft.StateMachine.LastSnapshotPreImages : 0);
        Line(text, "raft_last_snapshot_longest_slice_us", raft.IsStarted ? raft.StateMachine.LastSnapshotLongestSliceMicros : 0);
        var gc = raft.IsStarted ? raft.StateMachine.LastSnapshotGc : GcActivity.None;
        Line(text, "raft_last_snapshot_allocated_bytes", gc.WriterAllocatedBytes);
        Line(text, "raft_last_snapshot_gc_collections", string.Create(CultureInfo.InvariantCulture, $"{gc.Gen0Collections},{gc.Gen1Collections},{gc.Gen2Collections}"));
        Line(text, "raft_last_snapshot_gc_pause_us", (long)gc.TotalPause.TotalMicroseconds);
        Line(text, "raft_last_snapshot_gc_longest_pause_us", (long)gc.LongestPause.TotalMicroseconds);
        Line(text, "raft_snapshot_in_progress", raft.IsStarted && raft.StateMachine.IsSnapshotting ? 1 : 0);
        Line(text, "raft_snapshot_url", raft.IsStarted ? raft.StateMachine.Offers.BaseUrl ?? "" : "");
        Line(text, "raft_snapshot_downloads_served", raft.IsStarted ? raft.StateMachine.Offers.Served : 0);
        Line(text, "raft_snapshot_bytes_served", raft.IsStarted ? raft.StateMachine.Offers.ServedBytes : 0);
        Line(text, "raft_snapshot_downloads_started", raft.IsStarted ? raft.StateMachine.Downloads.Started : 0);
        Line(text, "raft_snapshot_downloads_completed", raft.IsStarted ? raft.StateMachine.Downloads.Completed : 0);
        Line(text, "raft_snapshot_bytes_downloaded", raft.IsStarted ? raft.StateMachine.Downloads.ReceivedBytes : 0);
        Line(text, "raft_snapshot_replies_held", raft.IsStarted ? raft.Log.HeldSnapshots : 0);
        Line(text, "raft_snapshots_installed", raft.IsStarted ? raft.StateMachine.RestoreCount : 0);
    }

    private void Stats(StringBuilder text, StateFigures figures)
    {
        text.Append("# Stats\r\n");
        Line(text, "total_connections_received", clients.Received);
        Line(text, "total_commands_processed", commands.TotalCalls);

        // Counted where keys are deleted, at apply, so every replica reports the keys it deleted (Redis: expired_keys).
        Line(text, "expired_keys", figures.ExpiredKeys);
        Line(text, "evicted_keys", figures.EvictedKeys);
        Line(text, "total_error_replies", commands.TotalErrors);
        var (trackedKeys, trackedItems, trackedPrefixes) = tracking.Totals;
        Line(text, "tracking_total_keys", trackedKeys);
        Line(text, "tracking_total_items", trackedItems);
        Line(text, "tracking_total_prefixes", trackedPrefixes);

        // Keys deleted by the expiry sweeps this node proposed while leading, and the sweep entries.
        Line(text, "raftkv_expiry_proposed_keys", expiry.ExpiredKeys);
        Line(text, "raftkv_expiry_sweeps", expiry.Sweeps);
        Line(text, "raftkv_expiring_keys", figures.ExpiringKeys);
    }

    private static void Cpu(StringBuilder text)
    {
        var process = System.Diagnostics.Process.GetCurrentProcess();
        text.Append("# CPU\r\n");
        Line(text, "used_cpu_sys", process.PrivilegedProcessorTime.TotalSeconds.ToString("F6", CultureInfo.InvariantCulture));
        Line(text, "used_cpu_user", process.UserProcessorTime.TotalSeconds.ToString("F6", CultureInfo.InvariantCulture));
    }

    private void Replication(StringBuilder text)
    {
        var offset = raft.IsStarted ? raft.StateMachine.AppliedIndex : 0;
        text.Append("# Replication\r\n");
        if (raft.IsLeader)
        {
            // The followers by the RESP address clients reach them at (not their Raft endpoint), counted as in Redis
            // while the leader reaches them: DotNext marks a member unavailable when a request to it fails (it said 2
            // with one of two followers dead, issue 18). One whose address is not known here yet is left out until it is.
            var followers = raft.Cluster.Members
                .Where(static m => m.IsRemote && m.Status == DotNext.Net.Cluster.ClusterMemberStatus.Available)
                .Select(raft.RespEndpointOf).OfType<string>()
                .Order(StringComparer.Ordinal).Select(EndpointParser.Split).ToList();
            Line(text, "role", "master");
            Line(text, "connected_slaves", followers.Count);
            for (var i = 0; i < followers.Count; i++)
                text.Append(CultureInfo.InvariantCulture, $"slave{i}:ip={followers[i].Host},port={followers[i].Port},state=online,offset={offset},lag=0\r\n");
        }
        else
        {
            var leader = raft.LeaderRespEndpoint;
            var (host, port) = leader is null ? ("", 0) : EndpointParser.Split(leader);
            Line(text, "role", "slave");
            Line(text, "master_host", host);
            Line(text, "master_port", port);
            Line(text, "master_link_status", leader is null ? "down" : "up");
            Line(text, "master_last_io_seconds_ago", leader is null ? -1 : (long)Math.Min(raft.SinceLeaderContact.TotalSeconds, int.MaxValue));
            Line(text, "master_sync_in_progress", 0);
            Line(text, "slave_repl_offset", offset);
            Line(text, "slave_priority", 100);
            Line(text, "slave_read_only", 1);
            Line(text, "replica_announced", 1);
            Line(text, "connected_slaves", 0);
        }

        Line(text, "master_failover_state", "no-failover");
        Line(text, "master_replid", server.RunId);
        Line(text, "master_repl_offset", offset);
    }

    private void Keyspace(StringBuilder text, StateFigures figures)
    {
        text.Append("# Keyspace\r\n");
        if (!raft.IsStarted)
            return;
        var (keys, expires) = (figures.Keys, figures.ExpiringKeys);
        if (keys > 0)
            text.Append(CultureInfo.InvariantCulture, $"db0:keys={keys},expires={expires},avg_ttl=0\r\n");
    }

    private void CommandStatistics(StringBuilder text)
    {
        text.Append("# Commandstats\r\n");
        commands.AppendTo(text);
    }

    private void Raft(StringBuilder text)
    {
        text.Append("# Raft\r\n");
        Line(text, "raft_node_id", string.IsNullOrEmpty(_options.NodeId) ? _options.RaftEndpoint : _options.NodeId);
        Line(text, "raft_endpoint", raft.RaftEndPoint);
        if (!raft.IsStarted)
            return;
        var cluster = raft.Cluster;
        var leader = cluster.Leader;
        Line(text, "raft_role", raft.IsLeader ? "leader" : leader is null ? "candidate" : "follower");
        Line(text, "raft_term", cluster.Term);
        Line(text, "raft_leader", leader?.EndPoint.ToString() ?? string.Empty);
        Line(text, "raft_leader_resp", raft.LeaderRespEndpoint ?? string.Empty);
        Line(text, "raft_commit_index", raft.Log.LastCommittedEntryIndex);
        Line(text, "raft_last_log_index", raft.Log.LastEntryIndex);
        Line(text, "raft_applied_index", raft.StateMachine.AppliedIndex);
        Line(text, "raft_snapshot_index", raft.StateMachine.SnapshotIndex);
        Line(text, "raft_flushed_appends", raft.Log.FlushedAppends);
        Line(text, "raft_dropped_log_tails", raft.Log.DroppedTails);
        Line(text, "raft_rejected_leader_appends", raft.Log.RejectedLeaderAppends);
        Line(text, "raft_cut_append_batches", raft.Log.CutBatches);
        Line(text, "raft_refused_connections", raft.RefusedRaftConnections);
        var members = cluster.Members.Select(static m => m.EndPoint.ToString() ?? "?").Order(StringComparer.Ordinal).ToList();
        Line(text, "raft_members", string.Join(',', members));
        Line(text, "raft_members_count", members.Count);
        Line(text, "raft_leader_lease", _options.LeaderLease ? 1 : 0);
        Line(text, "raft_lease_ms", (long)raft.LeaseDuration.TotalMilliseconds);
        Line(text, "raft_lease_held", raft.HoldsLease() ? 1 : 0);
        var (leaseReads, roundReads) = raft.ReadCounts;
        Line(text, "raft_lease_reads", leaseReads);
        Line(text, "raft_round_reads", roundReads);
    }
}
