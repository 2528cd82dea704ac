using System.Text;
using RaftKV.Node.Execution;
using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// A follower's run of relayed commands is answered on the relay's own thread, from the last command to the first, so
/// the session's reply loop, waiting for the first, resumes once with the whole run's replies (PipelinedConnectionTests
/// counts its hand-overs through a real follower).
/// </summary>
public sealed class ForwardRunTests
{
    [Fact]
    public async Task Complete_AnswersFromTheLastToTheFirst_BeforeItReturns()
    {
        var run = new ForwardRun();
        var order = new List<int>();
        var replies = new Task<Reply>[3];
        for (var i = 0; i < replies.Length; i++)
        {
            var at = i;
            replies[i] = run.TryAdd([Encoding.ASCII.GetBytes("SET"), Encoding.ASCII.GetBytes($"k{i}"), Encoding.ASCII.GetBytes("v")])!;
            _ = replies[i].ContinueWith(_ => order.Add(at), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        run.Complete([Reply.Ok, Reply.Integer(7), null], Reply.Error("ERR the relay failed"));

        // Each waiting continuation ran inside Complete (before, each was queued to the thread pool), the last first.
        Assert.Equal([2, 1, 0], order);
        Assert.Same(Reply.Ok, await replies[0]);
        Assert.Equal("7", (await replies[1]).Text());
        Assert.Equal("-ERR the relay failed", (await replies[2]).Text());
    }

    // Regression (found in review): a command meant for a run that waited for a CLIENT PAUSE begun after it was read
    // joined the run after it was sent; the run's answers then stopped at an index past the replies read (none answered,
    // the sender's chain faulted) and the late command was never answered. A sealed run takes nothing: the command is
    // relayed alone.
    [Fact]
    public async Task ASealedRun_TakesNoMoreRequests_AndAnswersAllItHolds()
    {
        var run = new ForwardRun();
        var first = run.TryAdd([Encoding.ASCII.GetBytes("GET"), Encoding.ASCII.GetBytes("a")]);
        run.Seal();

        Assert.Null(run.TryAdd([Encoding.ASCII.GetBytes("GET"), Encoding.ASCII.GetBytes("late")]));
        Assert.Equal(1, run.Count);
        run.Complete([Reply.Integer(1)], Reply.Error("ERR the relay failed"));
        Assert.Equal("1", (await first!).Text());
    }
}
