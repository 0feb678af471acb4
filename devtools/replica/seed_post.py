"""Post 26829775 of "Under The Black Flag", from the text in ``shared/reference/seed-post.txt``.

The two links whose text a naive extractor lost are restored here with link texts of our
own choosing ("Vostok Vestnik", "Ertis Radio"); the other links sit on words that are
already in the text. The site names and URLs are invented for the replica.
"""

POST_ID = 26829775
SLUG = "kazakhstan-counterpropaganda-islamic-state-success"
TITLE = "Kazakhstan Says It Won't Prosecute Four Men It Stopped From Joining IS"
DESCRIPTION = (
    "Counterpropaganda efforts in Kazakhstan's East Kazakhstan region in 2014 succeeded in thwarting "
    "the attempts of four local men to leave the country to join the fighting in Syria."
)
PUBLISHED = "2015-02-05T11:24:00+00:00"
AUTHORS = ["Joanna Paraszczuk"]
TAGS = ["Kazakhstan", "Islamic State", "Syria"]
LEAD_IMAGE_CAPTION = (
    "National Security Committee Chairman Nurtai Abykaev says there are some 300 Kazakh citizens "
    "in Syria, of which 150 are women."
)

_VOSTOK = "https://vostok-vestnik.example/news/2015/02/04/four-men-syria"
_ERTIS = "https://ertis-radio.example/society/prosecutor-four-men"
_PROSECUTOR = "https://prokuror-vko.example/statement/2015-02-04"
_ZHARYLGASOV = "https://vostok-vestnik.example/news/2015/02/02/prosecutor-zharylgasov"

# Paragraphs as HTML, in order; links are Pangea's ``a.wsw__a``.
PARAGRAPHS_HTML = [
    "Counterpropaganda efforts in Kazakhstan's East Kazakhstan region in 2014 succeeded in thwarting "
    "the attempts of four local men to leave the country to join the fighting in Syria, according to "
    f'<a class="wsw__a" href="{_VOSTOK}" target="_blank">reports in the Kazakh media</a> on February 4.',
    "The reports say that the claim was made in a statement on the "
    f'<a class="wsw__a" href="{_PROSECUTOR}" target="_blank">website of the East Kazakhstan Region '
    "Prosecutor-General's Office</a>.",
    "The statement also said that temporary exit restrictions had been imposed on 32 individuals who are "
    "members of the Salafiyya (Salafi) religious movement and the Tablighi Jamaat, an Islamic religious "
    "movement banned in Kazakhstan since February 2013.",
    "According to the website, which is based in the East Kazakhstan Region, little is known about the "
    "four men who were prevented from leaving Kazakhstan to travel to Syria. The only detail about the four "
    "men provided by the East Kazakhstan Region Prosecutor-General was that they are not related to each "
    "other and had operated independently.",
    "The men had all come to the attention of Kazakhstan's domestic intelligence agency, the National "
    "Security Committe of the Republic of Kazakhstan (NSC), and were detained before leaving for Syria, the "
    "reports said.",
    f'Deputy regional prosecutor Nurlan Bizhanov told <a class="wsw__a" href="{_ERTIS}" target="_blank">'
    "Ertis Radio</a> that the four men had given up their intentions to go to Syria and had not been charged "
    "with any offense.",
    '"Persuasive measures were used on them. They are now being monitored," Bizhanov said.',
    "It is likely that the fact that the reports made it clear that the four men were not penalized after "
    "abandoning their attempts to go to Syria is intended as a message to other Kazakh nationals that there "
    "will not be any criminal repercussions if they abandon any attempts to join militant groups in the "
    "Middle East.",
    "The report of the successful attempt to prevent the four men from the East Kazakhstan region from going "
    "to Syria comes after the deputy prosecutor of the West Kazakhstan Region claimed on February 2 that the "
    "regional authorities know the identities of everyone from the region who left to fight in Syria.",
    "Deputy Prosecutor Aspenbi Zharylgasov told reporters that the issue of citizens from the region going to "
    "Syria to join the Islamic State group or other militant factions was \"under the control of the special "
    'prosecutors."',
    '"We know the numbers of those who have left, and we have identified them. An investigation is ongoing," '
    f'Zharylgasov said, according to <a class="wsw__a" href="{_ZHARYLGASOV}" target="_blank">the website</a>.',
    "However, Zharylgasov said that he would not disclose to journalists the number of citizens from the West "
    'Kazakhstan Region who had gone to Syria, "so as not to agitate the population."',
    '"It\'s a sensitive issue," Zharylgasov added.',
    f'According to <a class="wsw__a" href="{_VOSTOK}" target="_blank">Vostok Vestnik</a>, the West Kazakhstan '
    "Region's prosecutor's office has also created a video, titled Stolen Childhood, that is intended for "
    'consumption by children who are "adherents of nontraditional religious movements," a term used in '
    "Kazakhstan and elsewhere in the former Soviet Union to refer to extremist streams of Islam.",
    "The video has been reportedly distributed to educational institutions.",
    "The creation and distribution of the video comes after Kazakhstan banned an Islamic State propaganda "
    "video that showed ethnic Kazakh children undergoing ideological and military training in Syria. The "
    "video, titled Race Toward Good, was released in November 2014 and caused outrage in Kazakhstan.",
    "A second video, which appeared to show one of the ethnic Kazakh children from Race Toward Good carrying "
    "out the execution-style killing of two men accused by the Islamic State group of being Russian agents, "
    "was released in January and was also immediately banned in Kazakhstan.",
    "Kazakhstan has not provided any official data about how many Kazakh nationals are fighting in Syria, "
    "including with the Islamic State group. However, National Security Committee Chairman Nurtai Abykaev "
    "has said that there are around 300 Kazakh citizens in Syria, of which 150 are women. It is likely that "
    "this figure is an estimate based on a video that appeared on the Internet in November 2013 and which "
    "showed a group of around 150 Kazakh militants who claimed to be in Syria. The militants said that they "
    "had come to Syria with their wives and children.",
    "-- Joanna Paraszczuk",
]
