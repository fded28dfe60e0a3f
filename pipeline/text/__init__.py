"""Text helpers shared by every stage: normalisation (full-width, Kangxi radicals, white space), charset
decoding and the words of a report's title (its year, its body). Takes strings and bytes, gives strings;
imports nothing else of the pipeline."""
