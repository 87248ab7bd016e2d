// Placeholder entry point so the Api project (an Exe) builds before the API host lands;
// replace with the real host wiring.
return 0;
