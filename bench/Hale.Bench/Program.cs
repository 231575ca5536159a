using Hale.Bench;

// `scripts/bench NAME [options]`: figures, not pass/fail. See docs/performance.md.
return await BenchProgram.RunAsync(args);
