using System.Reflection;
using AuthCluster.Api.Hosting;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Serialization.Invocation;

namespace AuthCluster.Tests.Resilience;

/// <summary>
/// The API's grain-call filter sends an idempotent call again while its first attempt is outstanding when a gateway
/// connection is lost, answers with whichever attempt answers first, and never duplicates a call otherwise.
/// </summary>
public sealed class SiloLossRepeatTests
{
    [Fact]
    public async Task Invoke_SiloLostWhileAttemptOutstanding_SendsAgainAndAnswersFromTheRepeat()
    {
        var grain = new Grain([new TaskCompletionSource<string>().Task, Task.FromResult("from a survivor")]);
        var (filter, signal) = Filter();
        var context = CallContext.For(grain, nameof(IProbeGrain.Repeatable), "op-1");

        var call = filter.Invoke(context.Orleans);
        await Poll.UntilAsync(() => grain.Calls.Count == 1, "the first attempt");
        signal.Signal();
        await call.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("from a survivor", context.Result);
        Assert.Equal(["op-1", "op-1"], grain.Calls);
    }

    [Fact]
    public async Task Invoke_AttemptCancelledByOrleans_RepeatedLikeALostOne()
    {
        var grain = new Grain([Task.FromCanceled<string>(new CancellationToken(canceled: true)), Task.FromResult("on the second attempt")]);
        var (filter, _) = Filter();
        var context = CallContext.For(grain, nameof(IProbeGrain.Repeatable), "op-4");

        await filter.Invoke(context.Orleans).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("on the second attempt", context.Result);
        Assert.Equal(2, grain.Calls.Count);
    }

    [Fact]
    public async Task Invoke_NoSiloLoss_SlowAttemptIsNotDuplicated()
    {
        var slow = new TaskCompletionSource<string>();
        var grain = new Grain([slow.Task]);
        var (filter, _) = Filter();
        var context = CallContext.For(grain, nameof(IProbeGrain.Repeatable), "op-2");

        var call = filter.Invoke(context.Orleans);
        await Task.Delay(FailurePolicy.HedgeAfter * 2);
        slow.SetResult("in its own time");
        await call.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("in its own time", context.Result);
        Assert.Single(grain.Calls);
    }

    [Fact]
    public async Task Invoke_CallThatMustNotRunTwice_NotSentAgainOnSiloLoss()
    {
        var grain = new Grain([]);
        var (filter, signal) = Filter();
        var context = CallContext.For(grain, nameof(IProbeGrain.NotRepeatable), "op-3");
        var pending = new TaskCompletionSource();
        context.OnInvoke = () => pending.Task;

        var call = filter.Invoke(context.Orleans);
        signal.Signal();
        await Task.Delay(FailurePolicy.HedgeAfter * 2);
        pending.SetResult();
        await call.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, context.Invocations);
        Assert.Empty(grain.Calls);
    }

    private static (GrainCallRetryFilter Filter, SiloLossSignal Signal) Filter()
    {
        var signal = new SiloLossSignal(TimeProvider.System);
        return (new GrainCallRetryFilter(Options.Create(new AuthOptions()), TimeProvider.System, signal, NullLogger<GrainCallRetryFilter>.Instance), signal);
    }

    public interface IProbeGrain
    {
        [RetrySafe]
        Task<string> Repeatable(string operation);

        Task<string> NotRepeatable(string operation);
    }

    /// <summary>Stands in for a grain reference: each call is one attempt, answered by the next scripted task.</summary>
    private sealed class Grain(Task<string>[] answers) : IProbeGrain
    {
        public List<string> Calls { get; } = [];

        public Task<string> Repeatable(string operation)
        {
            lock (Calls)
            {
                Calls.Add(operation);
                return answers[Calls.Count - 1];
            }
        }

        public Task<string> NotRepeatable(string operation)
        {
            lock (Calls)
            {
                Calls.Add(operation);
                return Task.FromResult("sent around the filter");
            }
        }
    }

    /// <summary>The Orleans call context of one call, as far as the filter reads it.</summary>
    public class CallContext : DispatchProxy
    {
        private object _grain = null!;
        private MethodInfo _method = null!;
        private object?[] _arguments = [];

        public object? Result { get; private set; }

        public int Invocations { get; private set; }

        public Func<Task> OnInvoke { get; set; } = () => Task.CompletedTask;

        public static CallContext For(object grain, string method, params object?[] arguments)
        {
            var proxy = Create<IOutgoingGrainCallContext, CallContext>();
            var context = (CallContext)(object)proxy;
            context._grain = grain;
            context._method = typeof(IProbeGrain).GetMethod(method)!;
            context._arguments = arguments;
            return context;
        }

        /// <summary>This context as the filter sees it.</summary>
        public IOutgoingGrainCallContext Orleans => (IOutgoingGrainCallContext)(object)this;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod!.Name switch
        {
            "get_Grain" => _grain,
            "get_InterfaceMethod" => _method,
            "get_InterfaceName" => nameof(IProbeGrain),
            "get_MethodName" => _method.Name,
            "get_Request" => Invokable.For(_arguments),
            "get_Response" => null,
            "set_Result" => Result = args![0],
            "get_Result" => Result,
            "Invoke" => InvokeOnce(),
            _ => throw new NotSupportedException(targetMethod.Name),
        };

        private Task InvokeOnce()
        {
            Invocations++;
            return OnInvoke();
        }
    }

    /// <summary>The request of a call, as far as the filter reads it: its arguments.</summary>
    public class Invokable : DispatchProxy
    {
        private object?[] _arguments = [];

        public static IInvokable For(object?[] arguments)
        {
            var proxy = Create<IInvokable, Invokable>();
            ((Invokable)(object)proxy)._arguments = arguments;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod!.Name switch
        {
            nameof(IInvokable.GetArgumentCount) => _arguments.Length,
            nameof(IInvokable.GetArgument) => _arguments[(int)args![0]!],
            _ => throw new NotSupportedException(targetMethod.Name),
        };
    }
}
