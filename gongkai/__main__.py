import sys

from gongkai.entry import main

sys.exit(main())
