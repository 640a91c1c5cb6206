using Segmenter.Cli.Commands;

// `segment`: a thin command line over the Segmenter library. Each verb parses its options, calls the library
// and prints; errors in user input arrive as SegmenterException and are printed as one line (exit code 2).
return SegmentCli.Build().Parse(args).Invoke();
